package credreport

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"
	"time"
)

// readAll drains a records reader.
func readAll(r records) (recs [][]string, lines []int, err error) {
	for {
		rec, line, err := r.Read()
		if errors.Is(err, io.EOF) {
			return recs, lines, nil
		}
		if err != nil {
			return recs, lines, err
		}
		recs = append(recs, append([]string(nil), rec...))
		lines = append(lines, line)
	}
}

var recordSeeds = []string{
	"a,b,c\n1,2,3\n",
	"a,b\r\n\r\n1,2\r\n",
	"a,b\n\"x,y\",2\n3,4\n",
	"a,b\n\"x\ny\",2\n3,4\n",
	"a,b\n\"x\"\"y\",2\n",
	"a,b\nx\"y,2\n",
	"a,b\n\"x\",y\"\n",
	"a,b\n\"open\n",
	"a\r",
	"a,b\r\r\n",
	"\n\n,\n",
	"a\"\"b\n",
	"\"a\" ,b\n",
	"x,\"\"\n\"\",\n",
}

// The line-by-line reader gives exactly what encoding/csv gives for the
// whole input: records, line numbers, and errors with their lines.
func FuzzRecords(f *testing.F) {
	for _, s := range recordSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, gotLines, gotErr := readAll(newRecords(data))
		want, wantLines, wantErr := readAll(newCSVRecords(data))
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotLines, wantLines) {
			t.Fatalf("%q:\ngot  %q %v\nwant %q %v", data, got, gotLines, want, wantLines)
		}
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q: error %v, encoding/csv %v", data, gotErr, wantErr)
		}
		if gotErr != nil {
			var g, w *csv.ParseError
			if !errors.As(gotErr, &g) || !errors.As(wantErr, &w) || g.Line != w.Line || g.StartLine != w.StartLine || g.Err != w.Err {
				t.Fatalf("%q: error %#v, encoding/csv %#v", data, gotErr, wantErr)
			}
		}
	})
}

func TestRecordsSeeds(t *testing.T) {
	for _, s := range recordSeeds {
		got, lines, err := readAll(newRecords([]byte(s)))
		want, wantLines, wantErr := readAll(newCSVRecords([]byte(s)))
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(lines, wantLines) || (err == nil) != (wantErr == nil) {
			t.Errorf("%q: got %q %v %v, want %q %v %v", s, got, lines, err, want, wantLines, wantErr)
		}
	}
}

// Wherever the fast reader of the CLI's JSON answers, encoding/json agrees.
func FuzzCLIJSON(f *testing.F) {
	content := base64.StdEncoding.EncodeToString([]byte("user,arn\n"))
	for _, s := range []string{
		`{"Content": "` + content + `", "ReportFormat": "text/csv", "GeneratedTime": "2024-01-02T03:04:05+00:00"}`,
		`{"content":"` + content + `","Content":"` + content + `"}`,
		`{"Content": "` + content + `", "Other": "x"} `,
		`{"Content": "` + content + `"}{}`,
		`{"Content": null}`,
		`{"Content": "` + content + `", "n": 1}`,
		`{"Content": "a\nb"}`,
		`{"CONTENT": "` + content + `", "generatedtime": "x"}`,
		`{}`,
		`{"Content": "` + content + `",}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		j, raw, decoded, ok := fastCLIJSON(data)
		if !ok {
			return
		}
		var want cliJSON
		dec := json.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("%q: fast path accepted what encoding/json rejects: %v", data, err)
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			t.Fatalf("%q: fast path accepted trailing data", data)
		}
		if want.Content == nil || *want.Content != string(raw) || want.ReportFormat != j.ReportFormat || want.GeneratedTime != j.GeneratedTime {
			t.Fatalf("%q: fast %+v, encoding/json %+v", data, j, want)
		}
		slow, err := base64.StdEncoding.DecodeString(*want.Content)
		if err != nil || !bytes.Equal(slow, decoded) {
			t.Fatalf("%q: content decodes differently (%v)", data, err)
		}
	})
}

// The hand-read time layout gives what time.Parse gives.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2022-12-21T16:19:23+00:00", "2024-02-29T00:00:00+00:00", "2023-02-29T00:00:00+00:00",
		"2022-12-21T24:00:00+00:00", "2022-13-01T00:00:00+00:00", "2022-12-21T16:19:60+00:00", "2022-12-21T16:19:23Z",
		"2022-12-21T16:19:23+01:00", "0000-01-01T00:00:00+00:00", "2022-12-00T00:00:00+00:00", "2022-1a-21T16:19:23+00:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseTime(s)
		want, wantErr := time.Parse(time.RFC3339, s)
		if (err == nil) != (wantErr == nil) || (err == nil && !got.Equal(want)) || got.Location() != time.UTC {
			t.Fatalf("%q: got %v %v, time.Parse %v %v", s, got, err, want, wantErr)
		}
		// The check-only reader never accepts what time.Parse rejects, and
		// accepts every valid time in the report's layout.
		if validTimeLayout(s) && wantErr != nil {
			t.Fatalf("%q: validTimeLayout accepts what time.Parse rejects: %v", s, wantErr)
		}
		if wantErr == nil && len(s) == 25 && s[19:] == "+00:00" && s[10] == 'T' && !validTimeLayout(s) && want.Format("2006-01-02T15:04:05+00:00") == s {
			t.Fatalf("%q: validTimeLayout rejects a valid report time", s)
		}
	})
}
