// Command rootwatch finds, proves and stops use of the AWS root user.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"

	"github.com/rootwatch/rootwatch/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	deps := cli.SystemDeps(version)
	err := cli.NewRootCmd(deps).ExecuteContext(ctx)
	stop()
	code, print := cli.ExitCode(err)
	switch {
	case code == cli.ExitInterrupted:
		fmt.Fprintln(os.Stderr, "rootwatch: interrupted (an --output file is left as it was)")
	case print:
		fmt.Fprintf(os.Stderr, "rootwatch: %v\n", err)
	}
	os.Exit(code)
}
