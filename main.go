// Command mcpctl builds, runs and deploys remote MCP servers.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/mcpctl/mcpctl/cmd"
)

// version is stamped at release with -ldflags "-X main.version=v1.2.3".
var version = ""

// Exit statuses.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitTimeout     = 124
	exitInterrupted = 130
)

func main() {
	os.Exit(run())
}

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f := cmd.NewFactory(version)
	root := cmd.NewRootCmd(f)
	c, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	code := exitCode(ctx, err)
	if !errors.Is(err, cmd.ErrSilent) {
		fmt.Fprintf(f.IOStreams.ErrOut, "Error: %v\n", err)
		var h cmd.Hinter
		if errors.As(err, &h) && h.Hint() != "" {
			fmt.Fprintf(f.IOStreams.ErrOut, "Hint: %s\n", h.Hint())
		}
		if code == exitUsage {
			fmt.Fprintln(f.IOStreams.ErrOut, cmd.HelpHint(c))
		}
	}
	return code
}

func exitCode(ctx context.Context, err error) int {
	var coded interface{ ExitCode() int }
	switch {
	case errors.As(err, &coded):
		return coded.ExitCode()
	case cmd.IsUsageError(err), cmd.IsUnknownCommand(err):
		return exitUsage
	case errors.Is(err, cmd.ErrCancelled), ctx.Err() != nil:
		return exitInterrupted
	case errors.Is(err, context.DeadlineExceeded):
		return exitTimeout
	}
	return exitFailure
}
