package credreport_test

import (
	"encoding/base64"
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/credreport"
	"github.com/rootwatch/rootwatch/internal/demo"
)

// demoInputs returns the demo organization's reports as the CLI's JSON and
// as the bare CSV inside it.
func demoInputs(b *testing.B) (jsonDocs, csvDocs [][]byte, size int64) {
	reps := demo.Reports(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	names := make([]string, 0, len(reps))
	for n := range reps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		var j struct{ Content string }
		if err := json.Unmarshal(reps[n], &j); err != nil {
			b.Fatal(err)
		}
		raw, err := base64.StdEncoding.DecodeString(j.Content)
		if err != nil {
			b.Fatal(err)
		}
		jsonDocs = append(jsonDocs, reps[n])
		csvDocs = append(csvDocs, raw)
		size += int64(len(raw))
	}
	return jsonDocs, csvDocs, size
}

// The audit benchmark (bench/audit.sh) measures whole runs against the read
// floor; these isolate the parser.
func BenchmarkParseCLIJSON(b *testing.B) {
	docs, _, size := demoInputs(b)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range docs {
			if _, err := credreport.Parse("bench.json", d); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkParseCSV(b *testing.B) {
	_, docs, size := demoInputs(b)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range docs {
			if _, err := credreport.ParseCSV("bench.csv", d); err != nil {
				b.Fatal(err)
			}
		}
	}
}
