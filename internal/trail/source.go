package trail

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
	fi, err := os.Stat(root)
	if err != nil {
		return yield(Input{Name: root}, fmt.Errorf("read %s: %w", root, unwrapPath(err)))
	}
	if !fi.IsDir() {
		return yield(fileInput(root, fi.Size()), nil)
	}
	cont := true
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			if !yield(Input{Name: path}, fmt.Errorf("read %s: %w", path, unwrapPath(err))) {
				cont = false
				return filepath.SkipAll
			}
			return nil
		}
		if path != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if f.Skip(path) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		typ := d.Type()
		if typ&fs.ModeSymlink != 0 {
			// A link to a file is read; links to folders are not followed
			// (they can loop).
			st, err := os.Stat(path)
			if err != nil || st.IsDir() {
				return nil
			}
			typ = st.Mode().Type()
		}
		if d.IsDir() || !typ.IsRegular() {
			return nil
		}
		info, err := d.Info()
		size := int64(0)
		if err == nil {
			size = info.Size()
		}
		if !yield(fileInput(path, size), nil) {
			cont = false
			return filepath.SkipAll
		}
		return nil
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
			return nil, fmt.Errorf("open %s: %w", path, unwrapPath(err))
		}
		return fh, nil
	}}
}

// unwrapPath drops the *PathError's own repeat of the path.
func unwrapPath(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}
