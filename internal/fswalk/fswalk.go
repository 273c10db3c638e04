// Package fswalk lists the files under the paths a user gives, the way
// every rootwatch input is read: a file is itself; a directory is its
// regular files, recursively, in lexical order, without hidden entries.
// What cannot be read is reported and the walk goes on.
package fswalk

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Entry is a file found, or (Err set) a path that could not be read.
type Entry struct {
	Path string
	Size int64
	Err  error
}

// errDirLink: links to directories are not followed, since they can loop.
var errDirLink = errors.New("links to a directory, which is not followed; give it as its own path")

// Walk calls visit for root when it is a file, else for each file below
// it. skip (optional) prunes paths: a directory skipped is not entered.
// Links to files are followed; links to directories and broken links are
// reported, not skipped silently. Walk stops when visit returns false (and
// then returns false) or ctx ends (and returns ctx's error).
func Walk(ctx context.Context, root string, skip func(path string) bool, visit func(Entry) bool) (bool, error) {
	info, err := os.Stat(root)
	if err != nil {
		return visit(Entry{Path: root, Err: Unwrap(err)}), nil
	}
	if !info.IsDir() {
		return visit(Entry{Path: root, Size: info.Size()}), nil
	}
	if li, err := os.Lstat(root); err == nil && li.Mode()&fs.ModeSymlink != 0 {
		// A link to a folder given by name is that folder: WalkDir does
		// not enter a link, but does a path ending in a separator.
		root += string(filepath.Separator)
	}
	cont := true
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			if cont = visit(Entry{Path: path, Err: Unwrap(err)}); !cont {
				return filepath.SkipAll
			}
			if d != nil && d.IsDir() && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if path != root && strings.HasPrefix(d.Name(), ".") || skip != nil && skip(path) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		e := Entry{Path: path}
		switch typ := d.Type(); {
		case typ.IsRegular():
			if info, err := d.Info(); err == nil {
				e.Size = info.Size()
			}
		case typ&fs.ModeSymlink != 0:
			target, err := os.Stat(path)
			switch {
			case err != nil:
				e.Err = fmt.Errorf("broken link: %w", Unwrap(err))
			case target.Mode().IsRegular():
				e.Size = target.Size()
			default:
				e.Err = errDirLink
			}
		default:
			return nil // the directory itself, devices, sockets
		}
		if cont = visit(e); !cont {
			return filepath.SkipAll
		}
		return nil
	})
	return cont, err
}

// Unwrap drops a *fs.PathError's own repeat of the path, for messages that
// name the path already.
func Unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
