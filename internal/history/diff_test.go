package history

import (
	"errors"
	"reflect"
	"testing"
)

func seqOf(fs ...Finding) func(func(Finding, error) bool) {
	return func(yield func(Finding, error) bool) {
		for _, f := range fs {
			if !yield(f, nil) {
				return
			}
		}
	}
}

func TestMergeDiff(t *testing.T) {
	before := seqOf(
		Finding{ID: "a", Account: "111", Status: "fail"}, // still failing
		Finding{ID: "b", Account: "111", Status: "fail"}, // passes now: fixed
		Finding{ID: "c", Account: "111", Status: "pass"}, // fails now: new
		Finding{ID: "d", Account: "222", Status: "fail"}, // account gone
		Finding{ID: "e", Account: "111", Status: "fail"}, // absent now, account kept: fixed
		Finding{ID: "f", Account: "111", Status: "pass"}, // passes in both: nothing
	)
	after := seqOf(
		Finding{ID: "a", Account: "111", Status: "fail"},
		Finding{ID: "b", Account: "111", Status: "pass"},
		Finding{ID: "c", Account: "111", Status: "fail"},
		Finding{ID: "f", Account: "111", Status: "pass"},
		Finding{ID: "g", Account: "333", Status: "fail"}, // account added: new
		Finding{ID: "h", Account: "333", Status: "pass"},
	)
	var got []Change
	err := MergeDiff(before, after, func(a string) bool { return a == "222" }, func(c Change) error { got = append(got, c); return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{
		{Change: "still", Finding: Finding{ID: "a", Account: "111", Status: "fail"}, Before: "fail", After: "fail"},
		{Change: "fixed", Finding: Finding{ID: "b", Account: "111", Status: "pass"}, Before: "fail", After: "pass"},
		{Change: "new", Finding: Finding{ID: "c", Account: "111", Status: "fail"}, Before: "pass", After: "fail"},
		{Change: "gone", Finding: Finding{ID: "d", Account: "222", Status: "fail"}, Before: "fail"},
		{Change: "fixed", Finding: Finding{ID: "e", Account: "111", Status: "fail"}, Before: "fail"},
		{Change: "new", Finding: Finding{ID: "g", Account: "333", Status: "fail"}, After: "fail"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
}

func TestMergeDiffErrors(t *testing.T) {
	boom := errors.New("boom")
	bad := func(yield func(Finding, error) bool) { yield(Finding{}, boom) }
	err := MergeDiff(seqOf(), bad, func(string) bool { return false }, func(Change) error { return nil })
	if !errors.Is(err, boom) || err.Error() != "read the newer run's findings: boom" {
		t.Errorf("err = %v", err)
	}
	unordered := seqOf(Finding{ID: "b", Status: "fail"}, Finding{ID: "a", Status: "fail"})
	err = MergeDiff(unordered, seqOf(), func(string) bool { return false }, func(Change) error { return nil })
	if err == nil || err.Error() != "the older run's findings are not ordered by ID (a after b)" {
		t.Errorf("err = %v", err)
	}
	err = MergeDiff(seqOf(Finding{ID: "a", Status: "fail"}), seqOf(), func(string) bool { return false }, func(Change) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
}
