package trail

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"slices"
	"testing"
)

func seeds(f *testing.F) {
	for _, name := range []string{"aws-docs-console-sign-in.json", "aws-docs-assume-root.json"} {
		data := fixture(f, name)
		f.Add(data)
		f.Add(data[:len(data)/2])
		var compact bytes.Buffer
		_ = json.Compact(&compact, data)
		f.Add(compact.Bytes())
	}
	for _, s := range []string{
		`[{"eventName":"ConsoleLogin","eventTime":"2024-01-01T00:00:00Z","userIdentity":{"type":"Root"}}]`,
		`{"Events":[{"CloudTrailEvent":"{\"eventName\":\"X\",\"eventTime\":\"2024-01-01T00:00:00Z\",\"userIdentity\":{\"type\":\"Root\"}}"}]}`,
		`{"detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"X","eventTime":"1","userIdentity":{"type":"Root"}}}` + "\n{}\n",
		`{"QueryResultRows":[[{"eventName":"X"},{"eventTime":"2024-01-01 00:00:00.000"},{"userIdentity":"{type=Root, arn=a, x={y=z}}"}]]}`,
		`{"Records":[{"eventVersion":"1","userIdentity":{"type":"Root"},"eventTime":"2024-01-01T00:00:00Z","eventName":"\"\\"}]}`,
		`{"Records":[1,"Root",null,{"eventVersion":"Root"}]}`,
		`{"Records":[{"eventVersion`,
		"\x1f\x8b\x08\x00",
	} {
		f.Add([]byte(s))
	}
}

// Any input: no panic, counts that add up, every event of a known kind.
// Valid log files: the splitter cuts exactly the records encoding/json
// finds.
func FuzzReadStream(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		res := ReadStream(context.Background(), "fuzz", bytes.NewReader(data), &Filter{All: true})
		if res.Records < 0 || res.Skipped < 0 || int64(len(res.Events)) > res.Records {
			t.Fatalf("records %d skipped %d events %d", res.Records, res.Skipped, len(res.Events))
		}
		for _, ev := range res.Events {
			if !slices.Contains([]string{KindConsoleLogin, KindAPICall, KindCredentialChange, KindAssumeRoot}, ev.Kind) ||
				!slices.Contains([]string{"yes", "no", "unknown"}, ev.MFA) || ev.EventTime.IsZero() {
				t.Fatalf("event %+v", ev)
			}
		}
		// A log file: one object whose one key is "Records" (exactly: the
		// splitter, like CloudTrail, does not fold case), an array.
		var top map[string]json.RawMessage
		var recs []json.RawMessage
		dec := json.NewDecoder(bytes.NewReader(data))
		if dec.Decode(&top) != nil || dec.Decode(&struct{}{}) != io.EOF || len(top) != 1 || top["Records"] == nil ||
			json.Unmarshal(top["Records"], &recs) != nil || recs == nil || bytes.Count(data, []byte(`"Records"`)) != 1 {
			return
		}
		file := struct{ Records []json.RawMessage }{recs}
		sp := NewSplitter(bytes.NewReader(data))
		for i := 0; ; i++ {
			el, err := sp.Next()
			if err == io.EOF {
				if i != len(file.Records) {
					t.Fatalf("%d elements, encoding/json found %d records", i, len(file.Records))
				}
				return
			}
			if err != nil {
				t.Fatalf("element %d: %v on valid JSON", i, err)
			}
			if i >= len(file.Records) || !bytes.Equal(el.Raw, bytes.TrimSpace(file.Records[i])) {
				t.Fatalf("element %d = %q", i, el.Raw)
			}
		}
	})
}

// Any record JSON: Classify does not panic and says a known kind.
func FuzzClassify(f *testing.F) {
	for _, r := range records(f, "aws-docs-console-sign-in.json") {
		f.Add([]byte(r))
	}
	for _, r := range records(f, "aws-docs-assume-root.json") {
		f.Add([]byte(r))
	}
	f.Add([]byte(`{"eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com","eventTime":"2024-01-01T00:00:00Z","userIdentity":{"type":"Root","sessionContext":{"attributes":{"mfaAuthenticated":true}}},"responseElements":"x","additionalEventData":[1]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Record
		if json.Unmarshal(data, &r) != nil {
			return
		}
		ev, skip, err := Classify(&r, true)
		if err != nil || skip {
			return
		}
		if !slices.Contains([]string{KindConsoleLogin, KindAPICall, KindCredentialChange, KindAssumeRoot}, ev.Kind) {
			t.Fatalf("kind %q", ev.Kind)
		}
	})
}

// Lake's {key=value} rendering: no panic, and JSON-free structs parse.
func FuzzParseLakeStruct(f *testing.F) {
	f.Add("{type=Root, principalid=111122223333, sessioncontext={attributes={creationdate=2023-06-07 23:59:12.000, mfaauthenticated=true}}, invokedby=null}")
	f.Add("{a=b, c={d=e, f=}, g=h, i}")
	f.Add("{")
	f.Fuzz(func(t *testing.T, s string) {
		_, _, _ = parseLakeStruct(s, 0)
		_ = lakeValue(s)
	})
}
