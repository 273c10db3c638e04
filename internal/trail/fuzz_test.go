package trail

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"testing"
	"unicode/utf16"
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

// rootRecords are the testdata records that are root events (with --all),
// each with the event it gives read alone.
func rootRecords(t testing.TB) (recs [][]byte, want []Event) {
	t.Helper()
	for _, name := range []string{"aws-docs-console-sign-in.json", "aws-docs-assume-root.json", "variants.json", "assume-root-elsewhere.json"} {
		for _, r := range records(t, name) {
			res := ReadStream(context.Background(), "fuzz", bytes.NewReader([]byte(`{"Records":[`+string(r)+`]}`)), &Filter{All: true})
			if len(res.Events) == 1 && len(res.Warnings) == 0 {
				recs, want = append(recs, r), append(want, res.Events[0])
			}
		}
	}
	if len(recs) < 10 {
		t.Fatalf("%d root records in testdata", len(recs))
	}
	return recs, want
}

// chooser hands out the fuzzer's bytes as choices; 0 (the plain way) once
// they run out.
type chooser struct{ b []byte }

func (c *chooser) next() byte {
	if len(c.b) == 0 {
		return 0
	}
	x := c.b[0]
	c.b = c.b[1:]
	return x
}

// space is white space between tokens.
func (c *chooser) space(out *bytes.Buffer) {
	out.WriteString([]string{"", "", " ", "\n", "\t", "\r\n  ", " \n\t"}[c.next()%7])
}

// str writes s as a JSON string, each character spelled one of the ways
// JSON allows: itself (unless it must be escaped), \uXXXX in upper or
// lower case hex (a surrogate pair past U+FFFF), its short escape.
func (c *chooser) str(out *bytes.Buffer, s string) {
	out.WriteByte('"')
	for _, r := range s {
		short := map[rune]string{'"': `\"`, '\\': `\\`, '/': `\/`, '\b': `\b`, '\f': `\f`, '\n': `\n`, '\r': `\r`, '\t': `\t`}[r]
		must := r == '"' || r == '\\' || r < 0x20
		switch x := c.next() % 4; {
		case x == 1 || x == 2 || (must && short == ""):
			format := `\u%04X`
			if x == 2 {
				format = `\u%04x`
			}
			if r > 0xFFFF {
				r1, r2 := utf16.EncodeRune(r)
				fmt.Fprintf(out, format+format, r1, r2)
			} else {
				fmt.Fprintf(out, format, r)
			}
		case (x == 3 || must) && short != "":
			out.WriteString(short)
		default:
			out.WriteRune(r)
		}
	}
	out.WriteByte('"')
}

// encode writes the JSON value dec is at, re-encoded: white space between
// tokens, keys and strings spelled as str does, each object's keys in an
// order the choices shuffle. Numbers and literals are kept as written.
func (c *chooser) encode(out *bytes.Buffer, dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	c.space(out)
	defer c.space(out)
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			out.WriteByte('[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					out.WriteByte(',')
				}
				if err := c.encode(out, dec); err != nil {
					return err
				}
			}
			_, err := dec.Token()
			out.WriteByte(']')
			return err
		}
		type member struct {
			key string
			val bytes.Buffer
		}
		var ms []*member
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			m := &member{key: k.(string)}
			if err := c.encode(&m.val, dec); err != nil {
				return err
			}
			ms = append(ms, m)
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		for i := len(ms) - 1; i > 0; i-- {
			j := int(c.next()) % (i + 1)
			ms[i], ms[j] = ms[j], ms[i]
		}
		out.WriteByte('{')
		for i, m := range ms {
			if i > 0 {
				out.WriteByte(',')
			}
			c.space(out)
			c.str(out, m.key)
			c.space(out)
			out.WriteByte(':')
			out.Write(m.val.Bytes())
		}
		out.WriteByte('}')
	case string:
		c.str(out, v)
	case json.Number:
		out.WriteString(v.String())
	case bool:
		out.WriteString(strconv.FormatBool(v))
	case nil:
		out.WriteString("null")
	}
	return nil
}

// reencode is a record re-encoded by the choices.
func reencode(t *testing.T, c *chooser, rec []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(rec))
	dec.UseNumber()
	var out bytes.Buffer
	if err := c.encode(&out, dec); err != nil {
		t.Fatalf("re-encoding %s: %v", rec, err)
	}
	return out.Bytes()
}

// A known root record re-encoded in any legal JSON way (escapes of any
// character in keys and strings, white space between tokens, keys in any
// order, \/), in any shape rootwatch reads, is found and classified as the
// record read plainly (issue 11: the byte prefilter cannot be evaded).
func FuzzEscapedRoot(f *testing.F) {
	f.Add([]byte{0, 0})
	f.Add([]byte{3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1})
	f.Add([]byte{7, 2, 2, 5, 9, 1, 0, 2, 3, 3, 3, 3, 1, 6, 4, 4, 1, 2, 5, 0, 7, 3, 1, 2})
	f.Add(bytes.Repeat([]byte{1, 0, 2, 0, 3, 0}, 200))
	recs, want := rootRecords(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		i, shape := int(data[0])%len(recs), data[1]%5
		c := &chooser{b: data[2:]}
		rec := reencode(t, c, recs[i])
		user := `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","accountId":"111122223333"},"eventTime":"2024-01-01T00:00:00Z","eventName":"ListBuckets"}`
		var in bytes.Buffer
		switch shape {
		case 0: // a log file, between other records (the fast path)
			in.WriteString(`{"Records":[` + user + "," + string(rec) + "," + user + "]}")
		case 1: // lookup-events: the record as a string, escaped again
			in.WriteString(`{"Events":[{"EventId":"1","CloudTrailEvent":`)
			c.str(&in, string(rec))
			in.WriteString("}]}")
		case 2: // EventBridge
			in.WriteString(`{"detail-type":"AWS API Call via CloudTrail","detail":` + string(rec) + "}")
		case 3: // JSON lines
			in.WriteString(user + "\n" + string(rec) + "\n")
		case 4: // an array
			in.WriteString("[" + user + "," + string(rec) + "]")
		}
		res := ReadStream(context.Background(), "fuzz", &in, &Filter{All: true})
		if len(res.Events) != 1 || len(res.Warnings) > 0 {
			t.Fatalf("record %d in shape %d: %d events, warnings %v\n%s", i, shape, len(res.Events), res.Warnings, rec)
		}
		if got := res.Events[0]; got != want[i] {
			t.Fatalf("record %d in shape %d:\n got %+v\nwant %+v\n%s", i, shape, got, want[i], rec)
		}
	})
}
