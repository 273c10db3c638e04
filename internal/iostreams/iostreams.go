// Package iostreams decides, in one place, how every command behaves
// towards a terminal: colour, relative times, the table's width and
// progress, as the GitHub CLI's pkg/iostreams does. Commands ask it; they
// never test for a terminal or read NO_COLOR or COLUMNS themselves.
package iostreams

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"
)

// DefaultWidth is the table's width on a terminal whose size cannot be
// read and when COLUMNS is not set.
const DefaultWidth = 80

// IOStreams are a command's standard streams and what is known about them.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutTTY and ErrTTY say whether standard output and standard error
	// are terminals.
	OutTTY bool
	ErrTTY bool
	// Width is the terminal's width in columns as read from it; 0 when not
	// known.
	Width int
	// Getenv reads NO_COLOR, COLUMNS and TERM; nil reads nothing.
	Getenv func(string) string
}

// System returns the process's streams, with the terminal's state read
// once.
func System() *IOStreams {
	s := &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, Getenv: os.Getenv,
		OutTTY: IsTerminal(os.Stdout), ErrTTY: IsTerminal(os.Stderr)}
	if s.OutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil && w > 0 {
			s.Width = w
		}
	}
	return s
}

// Test returns streams on buffers, neither a terminal: set OutTTY, ErrTTY
// and Width per case.
func Test() (s *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, Getenv: func(string) string { return "" }}, in, out, errOut
}

// IsTerminal says whether a file is a terminal.
func IsTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

func (s *IOStreams) getenv(k string) string {
	if s.Getenv == nil {
		return ""
	}
	return s.Getenv(k)
}

// Output is how a command writes one report.
type Output struct {
	// Color: ANSI colour.
	Color bool
	// Terminal: a person reads it (relative times).
	Terminal bool
	// Width is the column the table wraps at; 0 does not wrap.
	Width int
}

// ForOutput decides how a report is written: to standard output when
// toFile is false (--output not given or -), else to a file, which never
// gets colour, relative times or wrapping. noColor is --no-color.
func (s *IOStreams) ForOutput(toFile, noColor bool) Output {
	tty := s.OutTTY && !toFile
	return Output{
		Color:    tty && !noColor && s.colorAllowed(),
		Terminal: tty,
		Width:    s.width(toFile),
	}
}

// colorAllowed honours NO_COLOR (https://no-color.org: set and not empty)
// and TERM=dumb.
func (s *IOStreams) colorAllowed() bool {
	return s.getenv("NO_COLOR") == "" && s.getenv("TERM") != "dumb"
}

// width is the terminal's width; on a terminal whose size is unknown,
// COLUMNS or DefaultWidth. Not on a terminal, COLUMNS when set (to ask for
// a width), else 0: a pipe or file gets whole lines.
func (s *IOStreams) width(toFile bool) int {
	if toFile {
		return 0
	}
	columns := 0
	if v, err := strconv.Atoi(strings.TrimSpace(s.getenv("COLUMNS"))); err == nil && v > 0 {
		columns = v
	}
	switch {
	case s.OutTTY && s.Width > 0:
		return s.Width
	case columns > 0:
		return columns
	case s.OutTTY:
		return DefaultWidth
	}
	return 0
}

// ShowProgress says whether progress may be drawn on standard error: only
// on a terminal, where it is cleared before anything else is written.
func (s *IOStreams) ShowProgress() bool { return s.ErrTTY }
