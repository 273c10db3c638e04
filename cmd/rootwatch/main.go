// Command rootwatch finds, proves and stops use of the AWS root user.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/rootwatch/rootwatch/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	deps := cli.SystemDeps(version)
	err := cli.NewRootCmd(deps).ExecuteContext(ctx)
	stop()
	code, print := cli.ExitCode(err)
	if print {
		fmt.Fprintf(os.Stderr, "rootwatch: %v\n", err)
	}
	os.Exit(code)
}
