package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/rootwatch/rootwatch/internal/model"
)

// JSONWriter writes the JSON report contract. Strings are kept exactly.
//
// A fleet's report is large (tens of thousands of findings), so it is
// streamed: one account, finding or error per line, findings encoded in
// chunks on every core and written in order, never the whole document in
// memory at once.
type JSONWriter struct{}

var _ Writer = JSONWriter{}

// findingChunk is how many findings one encoding job takes.
const findingChunk = 512

func (JSONWriter) Write(w io.Writer, r *Report) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	enc := func(v any) []byte {
		var b bytes.Buffer
		e := json.NewEncoder(&b)
		e.SetEscapeHTML(false)
		if err := e.Encode(v); err != nil {
			// Only values the report never holds (channels, NaN) fail.
			return []byte(fmt.Sprintf("%q", "unencodable: "+err.Error()))
		}
		return bytes.TrimRight(b.Bytes(), "\n")
	}
	fmt.Fprintf(bw, "{\n  \"generated_at\": %s,\n  \"tool\": %s,\n  \"accounts\": [", enc(r.GeneratedAt), enc(r.Tool))
	for i, a := range r.Accounts {
		writeItem(bw, i, enc(a))
	}
	closeList(bw, len(r.Accounts))
	bw.WriteString(",\n  \"findings\": [")
	if err := writeFindings(bw, r.Findings); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	closeList(bw, len(r.Findings))
	bw.WriteString(",\n  \"errors\": [")
	for i, e := range r.Errors {
		writeItem(bw, i, enc(e))
	}
	closeList(bw, len(r.Errors))
	bw.WriteString("\n}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

func writeItem(w *bufio.Writer, i int, b []byte) {
	if i > 0 {
		w.WriteByte(',')
	}
	w.WriteString("\n    ")
	w.Write(b)
}

func closeList(w *bufio.Writer, n int) {
	if n > 0 {
		w.WriteString("\n  ")
	}
	w.WriteByte(']')
}

// writeFindings encodes chunks of findings in parallel and writes them in
// order, with a bounded number of chunks in flight.
func writeFindings(w *bufio.Writer, fs []model.Finding) error {
	nChunks := (len(fs) + findingChunk - 1) / findingChunk
	workers := runtime.GOMAXPROCS(0)
	results := make([]chan []byte, nChunks)
	for i := range results {
		results[i] = make(chan []byte, 1)
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			for c := range jobs {
				b.Reset()
				end := min((c+1)*findingChunk, len(fs))
				for i := c * findingChunk; i < end; i++ {
					if i > 0 {
						b.WriteByte(',')
					}
					b.WriteString("\n    ")
					if err := enc.Encode(&fs[i]); err != nil {
						fmt.Fprintf(&b, "%q", "unencodable finding: "+err.Error())
						continue
					}
					b.Truncate(b.Len() - 1) // Encode's newline
				}
				results[c] <- bytes.Clone(b.Bytes())
			}
		})
	}
	// Feed jobs no further ahead of the writer than a few chunks per worker,
	// so memory stays bounded whatever the fleet's size.
	inFlight := make(chan struct{}, 4*workers)
	go func() {
		defer close(jobs)
		for c := range nChunks {
			inFlight <- struct{}{}
			jobs <- c
		}
	}()
	var err error
	for c := range nChunks {
		b := <-results[c]
		<-inFlight
		if err == nil {
			_, err = w.Write(b)
		}
	}
	wg.Wait()
	return err
}
