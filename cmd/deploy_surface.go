package cmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/internal/iostreams"
	"github.com/mcpctl/mcpctl/toolsurface"
)

// surfaceGate is the step every deploy takes before it changes anything: compare the
// tools of the deployed server with those of the project about to ship, show the
// difference, and stop on a breaking change unless the user agrees (on a terminal) or
// passed --allow-breaking.
type surfaceGate struct {
	IO    *iostreams.IOStreams
	Exec  executor.Executor
	Dir   string
	Cfg   *config.File
	Key   string // API key for the deployed server ("" for none)
	Allow bool
	// DryRun shows the diff and what a real deploy would need, and never stops.
	DryRun bool
	// Endpoint returns the deployed MCP endpoint; an error means nothing to compare with
	// (a first deploy, an app that cannot be looked up).
	Endpoint func(ctx context.Context) (string, error)
	// Local lists the tools about to ship (default: build and start the project in Dir).
	Local func(ctx context.Context) ([]toolsurface.Tool, error)
}

// errBreakingRefused: a breaking deploy without a terminal to ask on or --allow-breaking.
var errBreakingRefused = errors.New("the deploy would break clients of the deployed server")

func (g *surfaceGate) run(ctx context.Context) error {
	w := g.IO.ErrOut
	fmt.Fprintf(w, "-----> tools: deployed → about to ship\n")
	endpoint, err := g.Endpoint(ctx)
	if err != nil {
		fmt.Fprintf(w, "       nothing deployed to compare with (%v)\n", oneLine(err))
		return nil
	}
	h := http.Header{}
	if g.Key != "" {
		h.Set("x-api-key", g.Key)
	}
	deployed, err := toolsurface.Fetch(ctx, endpoint, h, nil)
	if err != nil {
		fmt.Fprintf(w, "       could not list the deployed tools, so no comparison (%v)\n", oneLine(err))
		return nil
	}
	listLocal := g.Local
	if listLocal == nil {
		listLocal = func(ctx context.Context) ([]toolsurface.Tool, error) { return localSurface(ctx, g.Exec, g.Dir) }
	}
	local, err := listLocal(ctx)
	if err != nil {
		// The preflight checks report a project that does not build or start.
		fmt.Fprintf(w, "       could not list the local tools, so no comparison (%v)\n", oneLine(err))
		return nil
	}
	d := toolsurface.Compare(deployed, local)
	for _, l := range d.Lines() {
		fmt.Fprintf(w, "       %s\n", l)
	}
	fmt.Fprintf(w, "       %s\n", d.Summary())
	if !d.Breaking || g.Allow {
		return nil
	}
	switch {
	case g.DryRun:
		fmt.Fprintf(w, "       a real deploy needs --allow-breaking (or a yes on a terminal)\n")
		return nil
	case g.IO.CanPrompt():
		fmt.Fprintf(w, "Clients built against the deployed tools may break. Deploy anyway? [y/N] ")
		line, _ := bufio.NewReader(g.IO.In).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a == "y" || a == "yes" {
			return nil
		}
		return ErrCancelled
	default:
		return &hintError{err: fmt.Errorf("%w: %s", errBreakingRefused, d.Summary()),
			hint: "review the changes above (`mcpctl diff`); deploy anyway with --allow-breaking"}
	}
}

func oneLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
