package report

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
)

// spoolMemory is how much a spool holds in memory before it moves to a
// temporary file: small reports never touch the disk.
const spoolMemory = 8 << 20

// spool keeps bytes a writer must hold back until the end (the JSON
// report's findings come after every account; the table's rows after their
// widths are known): in memory up to a limit, then in a temporary file
// that is unlinked at once where the system allows, so nothing is left
// behind even if the process dies.
type spool struct {
	dir   string
	limit int
	mem   bytes.Buffer
	f     *os.File
	fw    *bufio.Writer
	// unlinked: the file's name is gone already.
	unlinked bool
}

func newSpool(dir string) *spool { return &spool{dir: dir, limit: spoolMemory} }

func (s *spool) Write(p []byte) (int, error) {
	if s.f == nil && s.mem.Len()+len(p) <= s.limit {
		return s.mem.Write(p)
	}
	if s.f == nil {
		f, err := os.CreateTemp(s.dir, "rootwatch-spool-*")
		if err != nil {
			return 0, fmt.Errorf("spool the report: %w", err)
		}
		s.f = f
		s.unlinked = os.Remove(f.Name()) == nil
		s.fw = bufio.NewWriterSize(f, 256<<10)
		if _, err := s.fw.Write(s.mem.Bytes()); err != nil {
			return 0, fmt.Errorf("spool the report: %w", err)
		}
		s.mem = bytes.Buffer{}
	}
	n, err := s.fw.Write(p)
	if err != nil {
		return n, fmt.Errorf("spool the report: %w", err)
	}
	return n, nil
}

// WriteString is Write of a string.
func (s *spool) WriteString(p string) (int, error) {
	if s.f == nil && s.mem.Len()+len(p) <= s.limit {
		return s.mem.WriteString(p)
	}
	return s.Write([]byte(p))
}

// reader returns what was written, from the start.
func (s *spool) reader() (io.Reader, error) {
	if s.f == nil {
		return bytes.NewReader(s.mem.Bytes()), nil
	}
	if err := s.fw.Flush(); err != nil {
		return nil, fmt.Errorf("spool the report: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("read the report's spool: %w", err)
	}
	return bufio.NewReaderSize(s.f, 256<<10), nil
}

// Close removes the temporary file, if any.
func (s *spool) Close() error {
	s.mem = bytes.Buffer{}
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	if !s.unlinked {
		if rerr := os.Remove(s.f.Name()); err == nil {
			err = rerr
		}
	}
	s.f = nil
	return err
}
