// Command readfloor is the I/O floor of the audit benchmark: it lists the
// files under the given paths the way `rootwatch audit --credential-report`
// does (directories walked recursively, hidden entries skipped) and reads
// every file whole with os.ReadFile on GOMAXPROCS goroutines, discarding the
// bytes. Nothing is parsed. It prints the file count and byte total.
//
//	go run ./bench/readfloor DIR...
package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: readfloor DIR...")
		os.Exit(2)
	}
	var files []string
	for _, root := range os.Args[1:] {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path != root && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "readfloor:", err)
			os.Exit(1)
		}
	}
	var next, total atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				data, err := os.ReadFile(files[i])
				if err != nil {
					fmt.Fprintln(os.Stderr, "readfloor:", err)
					failed.Store(true)
					continue
				}
				total.Add(int64(len(data)))
			}
		})
	}
	wg.Wait()
	fmt.Printf("%d files, %d bytes\n", len(files), total.Load())
	if failed.Load() {
		os.Exit(1)
	}
}
