package devtui

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/mcpctl/mcpctl/keys"
	"github.com/mcpctl/mcpctl/runner"
)

// Printer writes runner events as plain lines: the dashboard's equivalent when there is no
// terminal, or with --no-tui. Keys are always masked.
type Printer struct {
	W io.Writer
	// ServerOutput also prints the lines the server writes (its own logs). With Requests
	// set, the server's own access-log lines are left out: the proxy's line says the same.
	ServerOutput bool
	// Requests prints one line per proxied request.
	Requests bool
	// PlaygroundURL, when set, is printed after the address: the browser playground.
	PlaygroundURL string

	mu sync.Mutex // Surface may be called from another goroutine than Print

	lastAuth runner.Auth
	serving  int // generation serving now, 0 for none
}

// Run prints events until the channel is closed.
func (p *Printer) Run(events <-chan runner.Event) {
	for ev := range events {
		p.Print(ev)
	}
}

// Print writes the lines for one event (some events print nothing).
func (p *Printer) Print(ev runner.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := ev.(type) {
	case runner.Listening:
		p.line(ev.Time, "serving %s (changes rebuild and reload; Ctrl-C stops)", ev.URL)
		if p.PlaygroundURL != "" {
			p.line(ev.Time, "playground: %s", p.PlaygroundURL)
		}
	case runner.BuildStarted:
		p.line(ev.Time, "building generation %d (%s)", ev.Gen, ev.Reason)
	case runner.BuildSucceeded:
		p.line(ev.Time, "build ok in %s", round(ev.Duration))
		for _, n := range ev.Notices {
			p.line(ev.Time, "notice: %s", n)
		}
	case runner.BuildFailed:
		keeps := "nothing is serving"
		if p.serving > 0 {
			keeps = fmt.Sprintf("generation %d keeps serving", p.serving)
		}
		p.line(ev.Time, "build of generation %d failed in %s; %s:", ev.Gen, round(ev.Duration), keeps)
		lines := strings.Split(strings.TrimSpace(ev.Output), "\n")
		if len(ev.Errors) > 0 {
			lines = nil
			for _, e := range ev.Errors {
				lines = append(lines, strings.Split(e.String(), "\n")...)
			}
		}
		for _, l := range lines {
			fmt.Fprintf(p.W, "    %s\n", l)
		}
	case runner.ChildStarted:
		p.line(ev.Time, "started generation %d (pid %d) on %s", ev.Gen, ev.PID, ev.Addr)
		if ev.Auth != p.lastAuth {
			p.lastAuth = ev.Auth
			p.line(ev.Time, "auth: %s", authText(ev.Auth))
		}
	case runner.Ready:
		p.serving = ev.Gen
		what := "ready"
		switch {
		case ev.Restart:
			what = fmt.Sprintf("restarted after a crash (%d), same build", ev.Restarts)
		case ev.Reloads > 0:
			what = fmt.Sprintf("reloaded (%d)", ev.Reloads)
		}
		extra := ""
		if ev.Sessions > 0 {
			extra = fmt.Sprintf(", %d sessions carried over", ev.Sessions)
			if ev.Sessions == 1 {
				extra = ", 1 session carried over"
			}
		}
		p.line(ev.Time, "%s: generation %d serving, healthy %s after start%s", what, ev.Gen, round(ev.Startup), extra)
	case runner.ChildExited:
		if !ev.Crashed {
			p.line(ev.Time, "stopped generation %d (pid %d)", ev.Gen, ev.PID)
			return
		}
		if ev.Gen == p.serving {
			p.serving = 0
		}
		restart := ""
		if ev.RestartIn > 0 {
			restart = fmt.Sprintf("; restarting in %s", round(ev.RestartIn))
		}
		p.line(ev.Time, "generation %d (pid %d) crashed: %s%s", ev.Gen, ev.PID, ev.Status, restart)
		tail := ev.StderrTail
		if p.Requests {
			tail = withoutAccessLog(tail)
		}
		for _, l := range tail {
			fmt.Fprintf(p.W, "    | %s\n", l)
		}
	case runner.StartFailed:
		next := "fix it and save a file to retry"
		switch {
		case ev.Serving > 0:
			next = fmt.Sprintf("generation %d keeps serving", ev.Serving)
		case ev.RestartIn > 0:
			next = fmt.Sprintf("retrying in %s", round(ev.RestartIn))
		}
		p.line(ev.Time, "generation %d did not start: %v; %s", ev.Gen, ev.Err, next)
	case runner.ChildOutput:
		if p.ServerOutput && !(p.Requests && IsAccessLog(ev.Line)) {
			fmt.Fprintf(p.W, "  [%d] %s\n", ev.Gen, ev.Line)
		}
	case runner.Request:
		if !p.Requests {
			return
		}
		what := ev.RPCMethod
		if what == "" {
			what = ev.Path
		}
		if ev.Tool != "" {
			what += " " + ev.Tool
		}
		p.line(ev.Time, "%s %s -> %d in %s", ev.HTTPMethod, what, ev.Status, round(ev.Duration))
	case runner.Error:
		p.line(ev.Time, "error: %v", ev.Err)
	}
}

func (p *Printer) line(t time.Time, format string, args ...any) {
	fmt.Fprintf(p.W, "%s %s\n", t.Format("15:04:05"), fmt.Sprintf(format, args...))
}

// authText describes how to authenticate, with any key masked.
func authText(a runner.Auth) string {
	switch {
	case a.Header == "" && a.Mode == "":
		return "unknown"
	case a.Header == "":
		return a.Mode + " (no header needed)"
	case a.Mode == "apikey" && a.Value == "":
		return a.Header + ": no key set (MCP_API_KEY in .env)"
	case a.Mode == "apikey":
		return a.Header + ": " + keys.Mask(a.Value) + " (MCP_API_KEY from the shell, else .env)"
	default:
		return a.Header + ": " + a.Value
	}
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(time.Millisecond)
	default:
		return d.Round(10 * time.Microsecond)
	}
}
