// Command rootwatch finds, proves and stops use of the AWS root user.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/rootwatch/rootwatch/internal/cli"
)

// version, when set at build time with -ldflags "-X main.version=...",
// is the version reported; else the build info says (buildVersion).
var version = ""

// Exit codes main adds to the commands' own (cli.ExitCode).
const (
	// exitTerminated: SIGTERM (128+15, as a shell reports a process it
	// ended); SIGINT is cli.ExitInterrupted, 130.
	exitTerminated = 143
	// exitCrash: rootwatch itself failed (a panic, a bug), never 2, which
	// is a usage error (EX_SOFTWARE in sysexits.h).
	exitCrash = 70
)

func main() {
	setup()
	bi, _ := debug.ReadBuildInfo()
	deps := cli.SystemDeps(buildVersion(version, bi))
	os.Exit(run(deps, func(ctx context.Context, d *cli.Deps) error {
		return cli.NewRootCmd(d).ExecuteContext(ctx)
	}))
}

// setup tunes the runtime for a run.
func setup() {
	// An audit builds a snapshot that lives to the end and, around it, many
	// short-lived values; collecting less often costs a little memory and
	// saves about a fifth of the time (bench/README.md). GOGC still rules.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	// A fleet's snapshot lives to the end of the audit (about 2.5 KB an
	// account: 250 MB for 100,000), and GOGC=200 alone lets the heap grow
	// to three times what lives. A soft limit makes the collector work
	// harder only as the heap nears it, so 100,000 accounts stay under
	// 500 MB in every format (bench/memory.sh). GOMEMLIMIT still rules: a
	// fleet whose snapshot alone is larger needs it raised.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	// A panic in a goroutine other than main's, or a fatal runtime error
	// (stack overflow, out of memory), cannot be recovered and would exit
	// 2, the usage error's code: abort instead (SIGABRT, 134 in a shell).
	// GOTRACEBACK, when set, still rules.
	if os.Getenv("GOTRACEBACK") == "" {
		debug.SetTraceback("crash")
	}
}

// interrupted is the cause of a run's cancellation by a signal.
type interrupted struct{ sig os.Signal }

func (i interrupted) Error() string { return "interrupted by " + signalName(i.sig) }

func signalName(s os.Signal) string {
	if s == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGINT"
}

// run runs execute with a context that SIGINT (Ctrl-C) and SIGTERM cancel,
// prints what went wrong to d.ErrOut and returns the exit code. A second
// signal ends the process at once. A panic is reported as a bug, exit 70.
func run(d *cli.Deps, execute func(context.Context, *cli.Deps) error) (code int) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case s := <-sigs:
			// Only the first signal is caught: the run winds down and
			// removes its temporary files; a second one is not waited for.
			signal.Stop(sigs)
			cancel(interrupted{s})
		case <-ctx.Done():
		}
	}()
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(d.ErrOut, "rootwatch: internal error: %v\n\n%s\n"+
				"This is a bug in rootwatch, not a problem with your input or flags.\n"+
				"Please report it with the command line and this message.\n", r, debug.Stack())
			code = exitCrash
		}
	}()
	err := execute(ctx, d)
	code, print := cli.ExitCode(err)
	var sig interrupted
	switch {
	case code == cli.ExitInterrupted:
		if errors.As(context.Cause(ctx), &sig) && sig.sig == syscall.SIGTERM {
			code = exitTerminated
		}
		what := "interrupted"
		if sig.sig != nil {
			what = sig.Error()
		}
		fmt.Fprintf(d.ErrOut, "rootwatch: %s (an --output file is left as it was)\n", what)
	case print:
		fmt.Fprintf(d.ErrOut, "rootwatch: %v\n", err)
	}
	return code
}

// buildVersion is the version --version and the reports show: the ldflags
// value when one was set, else the module's version from the build info
// (a tag, or Go's pseudo-version from the VCS) with the VCS revision and
// "+dirty" for a build from a modified tree; "dev" when nothing says.
func buildVersion(ldflags string, bi *debug.BuildInfo) string {
	if ldflags != "" {
		return ldflags
	}
	v := "dev"
	if bi == nil {
		return v
	}
	if mv := bi.Main.Version; mv != "" && mv != "(devel)" {
		v = mv
	}
	var rev string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if strings.HasSuffix(v, "+dirty") {
		v, dirty = strings.TrimSuffix(v, "+dirty"), true
	}
	// A pseudo-version already holds the revision.
	if rev != "" && !strings.Contains(v, rev) {
		v += "-" + rev
	}
	if dirty {
		v += "+dirty"
	}
	return v
}
