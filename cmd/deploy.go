package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/deployui"
	"github.com/mcpctl/mcpctl/doctor"
	"github.com/mcpctl/mcpctl/envfile"
	"github.com/mcpctl/mcpctl/executor"
	"github.com/mcpctl/mcpctl/iostreams"
	"github.com/mcpctl/mcpctl/keys"
	"github.com/mcpctl/mcpctl/probe"
	"github.com/mcpctl/mcpctl/serverenv"
)

func newDeployCmd(f *Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "deploy <platform>",
		Short: "Deploy the project and prove it works",
		Long: `Deploy the project to a platform, then verify it with a real MCP client; a release that
does not work is rolled back. Heroku is the platform supported so far.`,
		Example: `  mcpctl deploy heroku
  mcpctl deploy heroku --app weather-prod --region eu
  mcpctl deploy heroku --dry-run`,
		RunE: func(c *cobra.Command, args []string) error { return nil },
	}
	c.Args = func(c *cobra.Command, args []string) error {
		var names []string
		for _, sub := range c.Commands() {
			names = append(names, sub.Name())
		}
		if len(args) > 0 {
			return FlagErrorf("unknown platform %q%s: mcpctl can deploy to %s", args[0], didYouMean(args[0], names), strings.Join(names, ", "))
		}
		return FlagErrorf("name a platform: %s", f.deployCommand())
	}
	c.AddCommand(newDeployHerokuCmd(f, nil))
	return c
}

// deployOptions are what every `deploy <platform>` takes; each platform's command adds
// its own flags and builds its deployers.Deployer.
type deployOptions struct {
	IO      *iostreams.IOStreams
	Exec    executor.Executor
	Getwd   func() (string, error)
	Getenv  func(string) string
	Version string
	// Preflight runs the project checks, writing what blocks the deploy to w.
	Preflight func(ctx context.Context, dir string, w io.Writer) error

	App           string
	Region        string
	DryRun        bool
	Yes           bool
	JSON          bool
	NoRollback    bool
	VerifyTimeout time.Duration
	// DropUnknownKeys lets the config step remove key hashes no key in .env matches.
	DropUnknownKeys bool
	AllowBreaking   bool
}

func newDeployOptions(f *Factory) *deployOptions {
	opts := &deployOptions{IO: f.IOStreams, Exec: f.Executor, Getwd: f.Getwd, Getenv: f.Getenv, Version: f.Version}
	opts.Preflight = func(ctx context.Context, dir string, w io.Writer) error { return deployDoctor(ctx, opts, dir, w) }
	return opts
}

// addFlags adds the flags every platform's deploy has.
func (opts *deployOptions) addFlags(fl *pflag.FlagSet) {
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the commands that would change anything, change nothing")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "commit uncommitted work instead of refusing to deploy")
	fl.BoolVar(&opts.JSON, "json", false, "print the result as JSON on stdout")
	fl.BoolVar(&opts.NoRollback, "no-rollback", false, "keep a release that fails verification")
	fl.BoolVar(&opts.DropUnknownKeys, "drop-unknown-keys", false, "remove keys the app accepts that no key in .env matches (by default they are kept)")
	fl.DurationVar(&opts.VerifyTimeout, "verify-timeout", 2*time.Minute, "how long verification retries a booting dyno")
	fl.BoolVar(&opts.AllowBreaking, "allow-breaking", false, "deploy even when the tools change in a way that breaks existing clients")
}

// checkFlags checks the flags every platform's deploy has.
func (opts *deployOptions) checkFlags() error {
	if opts.App != "" {
		if err := config.CheckName(opts.App); err != nil {
			return FlagErrorf("--app: %v", err)
		}
	}
	if opts.VerifyTimeout < 0 {
		return FlagErrorf("--verify-timeout must not be negative")
	}
	return nil
}

// runDeploy runs the deploy pipeline on the platform newDeployer makes for the project
// in dir, behind the terminal view or as lines, and prints the result.
func runDeploy(ctx context.Context, opts *deployOptions, newDeployer func(dir string) deployers.Deployer) error {
	dir, err := opts.Getwd()
	if err != nil {
		return err
	}
	project, err := config.Load(dir)
	if err != nil {
		return err
	}
	env, err := envfile.Read(filepath.Join(dir, envfile.Name))
	if err != nil {
		return err
	}
	errOut := opts.IO.ErrOut
	d := newDeployer(dir)
	rec := deployers.Recorded(project, d.Name())
	dopts := deployers.DeployOptions{
		Project:         project,
		Env:             env,
		App:             opts.App,
		Region:          opts.Region,
		DryRun:          opts.DryRun,
		Yes:             opts.Yes,
		NoRollback:      opts.NoRollback,
		DropUnknownKeys: opts.DropUnknownKeys,
		Dir:             dir,
		Exec:            opts.Exec,
		RecordApp:       func(app string) error { return config.SetString(dir, rec.Table, rec.Key, app) },
		CheckRecord:     func(app string) error { return config.CheckSetString(dir, rec.Table, rec.Key, app) },
		Output:          &prefixWriter{w: errOut, prefix: "       "},
		Progress:        func(e deployers.Event) { printDeployEvent(opts.IO, e) },
	}
	if opts.Preflight != nil {
		dopts.Preflight = func(ctx context.Context) error { return opts.Preflight(ctx, dir, errOut) }
	}
	key := ""
	if ks := keys.InEnv(env); project.Server.Auth == config.AuthAPIKey && len(ks) > 0 {
		key = env[keys.EnvVar]
		if key == "" {
			key = ks[0]
		}
	}
	dopts.Verify = func(ctx context.Context, endpoint string) error {
		rep, err := probe.Run(ctx, probe.Options{
			URL: endpoint, Key: key, KeySource: ".env " + keys.EnvVar,
			Retry:         probe.Retry{For: opts.VerifyTimeout},
			ClientName:    "mcpctl-deploy",
			ClientVersion: opts.Version,
			OnRetry: func(n probe.RetryNotice) {
				fmt.Fprintf(errOut, "       %s: %s; retrying in %s\n", n.Step, n.Reason, n.Wait.Round(time.Second))
			},
		})
		if err != nil {
			return err
		}
		if !rep.OK {
			return &verifyError{report: rep}
		}
		return nil
	}

	gate := &surfaceGate{IO: opts.IO, Exec: opts.Exec, Dir: dir, Cfg: project, Key: key, Allow: opts.AllowBreaking, DryRun: opts.DryRun,
		Endpoint: func(ctx context.Context) (string, error) {
			// The app the deploy will act on, as deployed now.
			app := newDeployer(dir)
			app.SetApp(deployers.AppName(project, app.Name(), opts.App))
			base, err := app.WebURL(ctx)
			if err != nil {
				return "", err
			}
			return serverenv.EndpointURL(base, project.Server.Path), nil
		}}
	if err := gate.run(ctx); err != nil {
		return err
	}

	var res *deployers.DeployResult
	var derr error
	if opts.IO.IsStderrTTY() && !opts.JSON && !opts.DryRun {
		res, derr = deployWithUI(ctx, opts, dir, d, dopts)
	} else {
		res, derr = deployers.Deploy(ctx, d, dopts)
	}
	if opts.JSON {
		out := struct {
			*deployers.DeployResult
			Error string `json:"error,omitempty"`
		}{DeployResult: res}
		if derr != nil {
			out.Error = derr.Error()
		}
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	}
	// A dry run that stopped at a missing prerequisite still shows its plan.
	if !opts.JSON && res != nil && (derr == nil || res.DryRun && len(res.Planned) > 0) {
		printDeploySummary(opts, d.Manual(), res)
	}
	return derr
}

// deployWithUI runs the deploy behind the terminal view: phases with a spinner and the
// tail of the build output. When the deploy fails, the whole output (build log, the
// app's last log lines) is printed after the view, where it can be read and scrolled.
func deployWithUI(ctx context.Context, opts *deployOptions, dir string, d deployers.Deployer, dopts deployers.DeployOptions) (*deployers.DeployResult, error) {
	msgs := make(chan any, 256)
	var full bytes.Buffer
	dopts.Progress = func(e deployers.Event) { msgs <- e }
	dopts.Output = &lineSender{msgs: msgs, keep: &full}
	if opts.Preflight != nil {
		dopts.Preflight = func(ctx context.Context) error { return opts.Preflight(ctx, dir, dopts.Output) }
	}
	var res *deployers.DeployResult
	var derr error
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		res, derr = deployers.Deploy(ctx, d, dopts)
		msgs <- deployui.Done{Err: derr}
	}()
	prog := tea.NewProgram(deployui.New(msgs, nil), tea.WithOutput(opts.IO.ErrOut), tea.WithInput(nil), tea.WithContext(ctx))
	_, uiErr := prog.Run()
	// The view may have stopped before the deploy (Ctrl-C): keep taking its messages
	// until it has given up too.
	for {
		select {
		case <-msgs:
			continue
		case <-finished:
		}
		break
	}
	if uiErr != nil && !errors.Is(uiErr, tea.ErrProgramKilled) && derr == nil {
		return res, uiErr
	}
	if derr != nil && full.Len() > 0 {
		fmt.Fprintf(opts.IO.ErrOut, "\nBuild output and logs:\n%s\n", strings.TrimRight(full.String(), "\n"))
	}
	return res, derr
}

// lineSender turns streamed output into one view message per line, keeping all of it.
type lineSender struct {
	msgs    chan<- any
	keep    *bytes.Buffer
	partial []byte
}

func (l *lineSender) Write(b []byte) (int, error) {
	l.keep.Write(b)
	l.partial = append(l.partial, b...)
	for {
		i := bytes.IndexAny(l.partial, "\r\n")
		if i < 0 {
			break
		}
		if line := strings.TrimSpace(string(l.partial[:i])); line != "" {
			l.msgs <- deployui.Output(line)
		}
		l.partial = l.partial[i+1:]
	}
	return len(b), nil
}

// deployDoctor runs every project check (build and tests included) before a deploy
// changes anything, and shows the problems that block it.
func deployDoctor(ctx context.Context, opts *deployOptions, dir string, w io.Writer) error {
	rep, err := doctor.Run(ctx, doctor.Options{Dir: dir, Exec: opts.Exec, ForDeploy: true})
	if err != nil {
		return err
	}
	if !rep.OK() {
		rep.WriteSummary(w, false)
	}
	return rep.Err()
}

// verifyError carries the check's report, so the deploy error names the failed step.
type verifyError struct{ report *probe.Report }

func (e *verifyError) Error() string {
	msg := e.report.Summary
	if e.report.Hint != "" {
		msg += " (" + e.report.Hint + ")"
	}
	return msg
}

func printDeployEvent(ios *iostreams.IOStreams, e deployers.Event) {
	w := ios.ErrOut
	switch {
	case e.Message != "" && !e.Done:
		fmt.Fprintf(w, "       %s\n", e.Message)
	case !e.Done:
		fmt.Fprintf(w, "-----> %s\n", e.Phase)
	case e.Message != "":
		fmt.Fprintf(w, "  ✓    %s: %s\n", e.Phase, e.Message)
	default:
		fmt.Fprintf(w, "  ✓    %s\n", e.Phase)
	}
}

func printDeploySummary(opts *deployOptions, man deployers.Manual, res *deployers.DeployResult) {
	out := opts.IO.Out
	if res.DryRun {
		fmt.Fprintf(out, "Dry run: nothing was changed. A deploy of %s would run:\n", res.App)
		for _, p := range res.Planned {
			fmt.Fprintf(out, "  %s\n", p)
		}
		if len(res.Planned) == 0 {
			fmt.Fprintln(out, "  (nothing)")
		}
		return
	}
	fmt.Fprintf(out, "Deployed %s (release v%d)\n", res.App, res.Release)
	fmt.Fprintf(out, "  URL:       %s\n", res.WebURL)
	fmt.Fprintf(out, "  Endpoint:  %s\n", res.Endpoint)
	if res.Verified {
		fmt.Fprintf(out, "  Verified:  a real MCP client initialized and listed the tools\n")
	}
	fmt.Fprintf(out, "\nNext:\n")
	fmt.Fprintf(out, "  mcpctl connect cursor --target deployed   # or claude-code, vscode, …\n")
	fmt.Fprintf(out, "  mcpctl check %s\n", res.Endpoint)
	fmt.Fprintf(out, "  %s\n", man.Logs)
}

// prefixWriter indents streamed build output under the phase lines.
type prefixWriter struct {
	w       io.Writer
	prefix  string
	midLine bool
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	var buf bytes.Buffer
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if !p.midLine {
			buf.WriteString(p.prefix)
		}
		buf.Write(line)
		p.midLine = line[len(line)-1] != '\n'
	}
	if _, err := p.w.Write(buf.Bytes()); err != nil {
		return 0, err
	}
	return len(b), nil
}
