// Package cli holds rootwatch's commands. Each is built by a constructor
// from Deps, with no package-level state, so tests run them in-process with
// their own streams and clock.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rootwatch/rootwatch/internal/collect"
	"github.com/rootwatch/rootwatch/internal/iostreams"
)

// Deps are what commands need from the outside world.
type Deps struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutIsTerminal and ErrIsTerminal say whether stdout and stderr are
	// terminals, and TermWidth is stdout's terminal's width in columns (0
	// unknown). Commands do not read them: IO decides what follows
	// (colour, relative times, the table's width, progress).
	OutIsTerminal bool
	ErrIsTerminal bool
	TermWidth     int
	// Getenv reads the environment (NO_COLOR, AWS_*).
	Getenv func(string) string
	Now    func() time.Time
	// Version is the build's version.
	Version string
	// AWSClients builds the AWS clients for an account; nil means the real
	// SDK clients. Tests put fakes behind it for what moto cannot emulate.
	AWSClients func(cfg aws.Config, account string) *collect.Clients
	// OrgAPI builds the Organizations client of --org; nil means the real
	// SDK client. Tests put faults behind it.
	OrgAPI func(cfg aws.Config) collect.OrgAPI
	// AWSRecord, when set, is told every AWS call (tests).
	AWSRecord func(action string)
}

// SystemDeps returns Deps bound to the process's standard streams, with
// the terminal's state read once.
func SystemDeps(version string) *Deps {
	io := iostreams.System()
	return &Deps{
		In: io.In, Out: io.Out, ErrOut: io.ErrOut,
		OutIsTerminal: io.OutTTY, ErrIsTerminal: io.ErrTTY, TermWidth: io.Width,
		Getenv: os.Getenv, Now: time.Now, Version: version,
	}
}

// IO is the one place that decides how every command behaves towards a
// terminal (see package iostreams).
func (d *Deps) IO() *iostreams.IOStreams {
	return &iostreams.IOStreams{In: d.In, Out: d.Out, ErrOut: d.ErrOut,
		OutTTY: d.OutIsTerminal, ErrTTY: d.ErrIsTerminal, Width: d.TermWidth, Getenv: d.Getenv}
}

func (d *Deps) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(d.ErrOut, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// Exit codes, as documented.
const (
	ExitOK      = 0
	ExitFailing = 1
	ExitUsage   = 2
	ExitPartial = 3
	// exitInternal: the report could not be written, or rootwatch itself
	// failed.
	exitInternal    = 4
	ExitInterrupted = 130
)

// ExitError carries the process exit code; Err, when set, is printed.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// usageError is a wrong flag or argument: exit 2.
func usageError(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, args...)}
}

// ExitCode maps an error returned by a command to the exit code and whether
// to print it. Flag parsing errors from cobra are usage errors.
func ExitCode(err error) (code int, print bool) {
	if err == nil {
		return ExitOK, false
	}
	if errors.Is(err, context.Canceled) {
		return ExitInterrupted, true
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code, ee.Err != nil
	}
	return ExitUsage, true
}
