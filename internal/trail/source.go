package trail

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/rootwatch/rootwatch/internal/fswalk"
)

// Input is one file or object to read.
type Input struct {
	Name string // a path, "-" or s3://bucket/key: the events' source
	Size int64
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// Inputs yields inputs in a stable order and may fail part-way; an error
// for one path does not stop the others.
type Inputs func(ctx context.Context, yield func(Input, error) bool)

// LocalInputs walks files and directories in the order given, each
// directory in lexical order, leaving out hidden files and what the filter
// prunes through the delivery layout; "-" is standard input.
func LocalInputs(paths []string, stdin io.Reader, f *Filter) Inputs {
	return func(ctx context.Context, yield func(Input, error) bool) {
		for _, p := range paths {
			if p == "-" {
				if !yield(Input{Name: "-", Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(stdin), nil }}, nil) {
					return
				}
				continue
			}
			if !walk(ctx, p, f, yield) {
				return
			}
		}
	}
}

func walk(ctx context.Context, root string, f *Filter, yield func(Input, error) bool) bool {
	cont, err := fswalk.Walk(ctx, root, f.Skip, func(e fswalk.Entry) bool {
		if e.Err != nil {
			return yield(Input{Name: e.Path}, fmt.Errorf("read %s: %w", e.Path, e.Err))
		}
		return yield(fileInput(e.Path, e.Size), nil)
	})
	if err != nil && cont {
		return yield(Input{Name: root}, err)
	}
	return cont
}

func fileInput(path string, size int64) Input {
	return Input{Name: path, Size: size, Open: func(context.Context) (io.ReadCloser, error) {
		fh, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", path, fswalk.Unwrap(err))
		}
		return fh, nil
	}}
}
