package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/spf13/cobra"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/doctor"
	"github.com/mcpctl/mcpctl/internal/envfile"
	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/internal/iostreams"
	"github.com/mcpctl/mcpctl/playground"
	"github.com/mcpctl/mcpctl/runner"
	"github.com/mcpctl/mcpctl/serverenv"
	"github.com/mcpctl/mcpctl/ui/devtui"
)

type devOptions struct {
	IO     *iostreams.IOStreams
	Exec   executor.Executor
	Getwd  func() (string, error)
	Getenv func(string) string

	Port  int
	NoTUI bool

	portSet bool
}

func newDevCmd(f *Factory, runF func(context.Context, *devOptions) error) *cobra.Command {
	opts := &devOptions{IO: f.IOStreams, Exec: f.Executor, Getwd: f.Getwd, Getenv: f.Getenv}
	c := &cobra.Command{
		Use:   "dev",
		Short: "Run the project locally with hot reload",
		Long: `Serve the project at http://127.0.0.1:PORT/PATH (port and path from mcpctl.toml) and
rebuild it whenever a Go file, go.mod, mcpctl.toml, .env or an embedded asset changes.

The URL never changes: a local proxy holds it and switches to each new build once it
answers /health, so connected clients keep working across reloads, stateful sessions
included. A build that does not compile leaves the previous one serving and shows the
errors. The server gets the settings of mcpctl.toml and the variables of .env (these win
over the shell's environment), re-read at every reload. API keys are the exception: as
for every mcpctl command, an MCP_API_KEY exported in the shell wins over .env's (whose
keys keep working too). An OAuth server's local resource URL follows --port.

On a terminal this shows a live dashboard (keys: r rebuild, c clear, l last crash, k show
the key, o open the playground, q quit); otherwise (or with --no-tui) it prints the same events as lines on
stderr, one per request. After each build it points out tools declared in tools/ that are
never registered with mcp.AddTool. After each reload the tools are compared with the
previous generation's and breaking changes are pointed out.

The playground (the link printed at start, /_mcpctl/ on the dev address with a per-run
token) lists the tools with forms made from their schemas, calls them with the project's
key (which never reaches the browser) and shows results, progress, timing, the raw
JSON-RPC, the request log, build errors, the last crash and each reload's tool changes.

Ctrl-C stops the server and every process it started.`,
		Example: `  mcpctl dev
  mcpctl dev --port 8080
  mcpctl dev --no-tui`,
		Args: maxArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			opts.portSet = c.Flags().Changed("port")
			if opts.portSet && (opts.Port < 1 || opts.Port > 65535) {
				return FlagErrorf("--port %d: use a port between 1 and 65535", opts.Port)
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runDev(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.IntVar(&opts.Port, "port", 0, "local port (default: server.port of mcpctl.toml)")
	fl.BoolVar(&opts.NoTUI, "no-tui", false, "print events as lines instead of the dashboard")
	return c
}

func runDev(ctx context.Context, opts *devOptions) error {
	dir, err := opts.Getwd()
	if err != nil {
		return err
	}
	cfg, err := config.Load(dir)
	if err != nil {
		return err
	}
	// A mode the generated code refuses would only crash-loop.
	if err := serverenv.SupportsAuth(dir, cfg.Server.Auth); err != nil {
		return &hintError{err: err, hint: `set auth = "apikey" in mcpctl.toml again; to use OAuth, ` + serverenv.OAuthAdvice(dir)}
	}
	port := cfg.Server.Port
	if opts.portSet {
		port = opts.Port
	}
	if port != cfg.Server.Port {
		fmt.Fprintf(opts.IO.ErrOut, "Serving on port %d, not mcpctl.toml's %d: connect clients with `mcpctl connect CLIENT --port %d`, or set server.port = %d in mcpctl.toml.\n", port, cfg.Server.Port, port, port)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The playground tells the view about each new tool list; the view is made later.
	var viewMu sync.Mutex
	var toView func(devtui.SurfaceMsg)
	pg, err := playground.New(playground.Options{OnSurface: func(s playground.Surface) {
		viewMu.Lock()
		f := toView
		viewMu.Unlock()
		if f != nil {
			f(surfaceMsg(s))
		}
	}})
	if err != nil {
		return err
	}
	defer pg.Close()
	r, err := runner.Start(ctx, runner.Options{
		ExtraPrefix:  playground.Prefix,
		ExtraHandler: pg.Handler(),
		Dir:          dir,
		Port:         port,
		Path:         cfg.Server.Path,
		Executor:     opts.Exec,
		Env:          func() ([]string, error) { return devEnv(dir, port, opts.Getenv) },
		Package:      mainPackage(dir, cfg.Project.Name),
		// A replaced process drains its own calls on SIGTERM, within drain_timeout:
		// SIGKILL only after that, so a cut call still gets its error.
		StopTimeout: cfg.Server.DrainTimeout.Duration + 2*time.Second,
		// A tool file without its mcp.AddTool line compiles and is silently absent.
		AfterBuild: func() []string { return doctor.UnregisteredTools(dir) },
	})
	if err != nil {
		return err
	}
	pg.SetAddr(r.Addr())
	events := observed(r.Events(), pg.Observe)

	if opts.NoTUI || !opts.IO.IsStdoutTTY() || !opts.IO.IsStderrTTY() {
		p := &devtui.Printer{W: opts.IO.ErrOut, ServerOutput: true, Requests: true, PlaygroundURL: pg.URL()}
		viewMu.Lock()
		toView = p.Surface
		viewMu.Unlock()
		p.Run(events) // until the runner stops (Ctrl-C cancels ctx)
		return r.Wait()
	}

	prog := tea.NewProgram(devtui.New(events, devtui.Options{Rebuild: r.Rebuild, PlaygroundURL: pg.URL(),
		OpenURL: func(url string) error { return openBrowser(ctx, opts.Exec, url) }}),
		tea.WithInput(opts.IO.In), tea.WithOutput(opts.IO.ErrOut), tea.WithAltScreen(), tea.WithContext(ctx))
	viewMu.Lock()
	toView = func(m devtui.SurfaceMsg) { prog.Send(m) }
	viewMu.Unlock()
	_, uiErr := prog.Run()
	cancel()
	for range events { // let the runner finish reporting while it stops
	}
	if err := r.Wait(); err != nil {
		return err
	}
	if uiErr != nil && !errors.Is(uiErr, tea.ErrProgramKilled) {
		return uiErr
	}
	return nil
}

// observed passes every event to observe on its way to the view.
func observed(in <-chan runner.Event, observe func(runner.Event)) <-chan runner.Event {
	out := make(chan runner.Event, 64)
	go func() {
		defer close(out)
		for ev := range in {
			observe(ev)
			out <- ev
		}
	}()
	return out
}

// surfaceMsg is a playground tool list as the terminal views show it.
func surfaceMsg(s playground.Surface) devtui.SurfaceMsg {
	return devtui.SurfaceMsg{Time: s.Time, Gen: s.Gen, First: s.First, Tools: len(s.Tools),
		Summary: s.Diff.Summary(), Lines: s.Diff.Lines(), Breaking: s.Diff.Breaking, Err: s.Error}
}

// openBrowser opens url in the user's browser.
func openBrowser(ctx context.Context, exec executor.Executor, url string) error {
	c := executor.Cmd{Name: "xdg-open", Args: []string{url}}
	switch runtime.GOOS {
	case "darwin":
		c = executor.Cmd{Name: "open", Args: []string{url}}
	case "windows":
		c = executor.Cmd{Name: "rundll32", Args: []string{"url.dll,FileProtocolHandler", url}}
	}
	_, err := exec.Run(ctx, c)
	return err
}

// devEnv is the server's environment from mcpctl.toml and .env, read again for every
// start so that edits to either apply on the next reload.
func devEnv(dir string, port int, getenv func(string) string) ([]string, error) {
	cfg, err := config.Load(dir)
	if err != nil {
		return nil, err
	}
	vars, err := envfile.Read(filepath.Join(dir, envfile.Name))
	if err != nil {
		return nil, err
	}
	return serverenv.LocalEnv(cfg, vars, port, getenv), nil
}

// mainPackage is the package to build: cmd/NAME in a project made by `mcpctl init`, else
// the project root.
func mainPackage(dir, name string) string {
	if fi, err := os.Stat(filepath.Join(dir, "cmd", name)); err == nil && fi.IsDir() {
		return "./cmd/" + name
	}
	return "."
}
