package trail

import (
	"bufio"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// BenchmarkScanCorpus reads the corpus bench/trail.sh generates
// (ROOTWATCH_TRAIL_CORPUS=bench/out/cloudtrail-.../AWSLogs); skipped
// without it.
func BenchmarkScanCorpus(b *testing.B) {
	dir := os.Getenv("ROOTWATCH_TRAIL_CORPUS")
	if dir == "" {
		b.Skip("set ROOTWATCH_TRAIL_CORPUS to a corpus of bench/gen-cloudtrail")
	}
	for b.Loop() {
		n := 0
		_, err := Scan(context.Background(), LocalInputs([]string{dir}, nil, &Filter{}), ScanOptions{}, func(Event) error { n++; return nil }, nil)
		if err != nil || n == 0 {
			b.Fatal(err, n)
		}
	}
}

// BenchmarkInflateCorpus is the floor in Go: only inflating the corpus.
func BenchmarkInflateCorpus(b *testing.B) {
	dir := os.Getenv("ROOTWATCH_TRAIL_CORPUS")
	if dir == "" {
		b.Skip("set ROOTWATCH_TRAIL_CORPUS to a corpus of bench/gen-cloudtrail")
	}
	var files []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	for b.Loop() {
		var wg sync.WaitGroup
		ch := make(chan string)
		for range runtime.GOMAXPROCS(0) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]byte, 256<<10)
				br := bufio.NewReaderSize(nil, 64<<10)
				var zr *gzip.Reader
				for f := range ch {
					fh, _ := os.Open(f)
					br.Reset(fh)
					if zr == nil {
						zr, _ = gzip.NewReader(br)
					} else {
						_ = zr.Reset(br)
					}
					_, _ = io.CopyBuffer(io.Discard, zr, buf)
					fh.Close()
				}
			}()
		}
		for _, f := range files {
			ch <- f
		}
		close(ch)
		wg.Wait()
	}
}
