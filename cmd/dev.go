package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/spf13/cobra"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/devtui"
	"github.com/mcpctl/mcpctl/doctor"
	"github.com/mcpctl/mcpctl/envfile"
	"github.com/mcpctl/mcpctl/executor"
	"github.com/mcpctl/mcpctl/iostreams"
	"github.com/mcpctl/mcpctl/runner"
	"github.com/mcpctl/mcpctl/serverenv"
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
the key, q quit); otherwise (or with --no-tui) it prints the same events as lines on
stderr, one per request. After each build it points out tools declared in tools/ that are
never registered with mcp.AddTool. Ctrl-C stops the server and every process it started.`,
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
	r, err := runner.Start(ctx, runner.Options{
		Dir:      dir,
		Port:     port,
		Path:     cfg.Server.Path,
		Executor: opts.Exec,
		Env:      func() ([]string, error) { return devEnv(dir, port, opts.Getenv) },
		Package:  mainPackage(dir, cfg.Project.Name),
		// A replaced process drains its own calls on SIGTERM, within drain_timeout:
		// SIGKILL only after that, so a cut call still gets its error.
		StopTimeout: cfg.Server.DrainTimeout.Duration + 2*time.Second,
		// A tool file without its mcp.AddTool line compiles and is silently absent.
		AfterBuild: func() []string { return doctor.UnregisteredTools(dir) },
	})
	if err != nil {
		return err
	}

	if opts.NoTUI || !opts.IO.IsStdoutTTY() || !opts.IO.IsStderrTTY() {
		p := &devtui.Printer{W: opts.IO.ErrOut, ServerOutput: true, Requests: true}
		p.Run(r.Events()) // until the runner stops (Ctrl-C cancels ctx)
		return r.Wait()
	}

	prog := tea.NewProgram(devtui.New(r.Events(), devtui.Options{Rebuild: r.Rebuild}),
		tea.WithInput(opts.IO.In), tea.WithOutput(opts.IO.ErrOut), tea.WithAltScreen(), tea.WithContext(ctx))
	_, uiErr := prog.Run()
	cancel()
	for range r.Events() { // let the runner finish reporting while it stops
	}
	if err := r.Wait(); err != nil {
		return err
	}
	if uiErr != nil && !errors.Is(uiErr, tea.ErrProgramKilled) {
		return uiErr
	}
	return nil
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
