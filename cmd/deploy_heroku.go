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

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/deployers/heroku"
	"github.com/mcpctl/mcpctl/deployui"
	"github.com/mcpctl/mcpctl/doctor"
	"github.com/mcpctl/mcpctl/envfile"
	"github.com/mcpctl/mcpctl/executor"
	"github.com/mcpctl/mcpctl/iostreams"
	"github.com/mcpctl/mcpctl/keys"
	"github.com/mcpctl/mcpctl/probe"
	"github.com/mcpctl/mcpctl/serverenv"
)

type deployHerokuOptions struct {
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

func newDeployHerokuCmd(f *Factory, runF func(context.Context, *deployHerokuOptions) error) *cobra.Command {
	opts := &deployHerokuOptions{IO: f.IOStreams, Exec: f.Executor, Getwd: f.Getwd, Getenv: f.Getenv, Version: f.Version}
	opts.Preflight = func(ctx context.Context, dir string, w io.Writer) error { return deployDoctor(ctx, opts.Exec, dir, w) }
	c := &cobra.Command{
		Use:   "heroku",
		Short: "Deploy to Heroku with the heroku CLI, then verify and roll back on failure",
		Long: `Deploy the project to Heroku through your own heroku CLI and git:

  1. preflight: heroku installed and logged in, the project folder's work committed (with
     --yes, mcpctl commits it), the project checks pass
  2. app: [deploy.heroku] app from mcpctl.toml or --app (else the project name); created
     when it does not exist; a new name is recorded in mcpctl.toml and committed (so the
     next deploy starts clean); at the root of a repository the heroku git remote is set
  3. config: the server settings and the SHA-256 hashes of the keys in .env (never a
     plaintext key); only what changed, in one release. Hashes the app accepts that no
     key in .env matches (a teammate's, CI's) are kept unless --drop-unknown-keys
  4. push: git push heroku HEAD:main, with the build output; a project in a folder of a
     larger repository pushes only that folder (git subtree split) to the app's git URL,
     and adds no remote
  5. verify: a real MCP client initializes, lists tools and checks that a request without
     the key is refused; when that fails, the logs are shown and the app is rolled back
     to the release before (unless --no-rollback)

--dry-run changes nothing; without the heroku CLI or a login it still shows the config
it would set (key hashes, never keys) and the push, then what is missing.

Before anything changes, the tools of the deployed app are compared with the project's
(as ` + "`mcpctl diff`" + ` does). A breaking change (a removed tool, a new required argument, a
narrowed type) is asked about on a terminal and refused elsewhere unless --allow-breaking.

A configuration that keeps sessions (stateless = false) is refused on more than one web dyno.`,
		Example: `  mcpctl deploy heroku
  mcpctl deploy heroku --app weather-prod --region eu
  mcpctl deploy heroku --dry-run
  mcpctl deploy heroku --yes --json`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return FlagErrorf("deploy heroku takes no arguments")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			if opts.App != "" {
				if err := config.CheckName(opts.App); err != nil {
					return FlagErrorf("--app: %v", err)
				}
			}
			if opts.Region != "" && opts.Region != "us" && opts.Region != "eu" {
				return FlagErrorf("--region must be us or eu")
			}
			if opts.VerifyTimeout < 0 {
				return FlagErrorf("--verify-timeout must not be negative")
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runDeployHeroku(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.App, "app", "", "Heroku app name (default: [deploy.heroku] app, else the project name)")
	fl.StringVar(&opts.Region, "region", "", "region for a new app: us or eu (default: [deploy.heroku] region)")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the commands that would change anything, change nothing")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "commit uncommitted work instead of refusing to deploy")
	fl.BoolVar(&opts.JSON, "json", false, "print the result as JSON on stdout")
	fl.BoolVar(&opts.NoRollback, "no-rollback", false, "keep a release that fails verification")
	fl.BoolVar(&opts.DropUnknownKeys, "drop-unknown-keys", false, "remove keys the app accepts that no key in .env matches (by default they are kept)")
	fl.DurationVar(&opts.VerifyTimeout, "verify-timeout", 2*time.Minute, "how long verification retries a booting dyno")
	fl.BoolVar(&opts.AllowBreaking, "allow-breaking", false, "deploy even when the tools change in a way that breaks existing clients")
	return c
}

func runDeployHeroku(ctx context.Context, opts *deployHerokuOptions) error {
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
	client := &heroku.Client{Exec: opts.Exec, Dir: dir, Timeout: herokuTimeout(opts.Getenv)}
	dopts := heroku.DeployOptions{
		Project:         project,
		Env:             env,
		App:             opts.App,
		Region:          opts.Region,
		DryRun:          opts.DryRun,
		Yes:             opts.Yes,
		NoRollback:      opts.NoRollback,
		DropUnknownKeys: opts.DropUnknownKeys,
		RecordApp:       func(app string) error { return config.SetString(dir, "deploy.heroku", "app", app) },
		CheckRecord:     func(app string) error { return config.CheckSetString(dir, "deploy.heroku", "app", app) },
		Output:          &prefixWriter{w: errOut, prefix: "       "},
		Progress:        func(e heroku.Event) { printDeployEvent(opts.IO, e) },
	}
	if opts.Preflight != nil {
		dopts.Preflight = func(ctx context.Context) error { return opts.Preflight(ctx, dir, errOut) }
	}
	key := deployKey(project, env)
	dopts.Verify = deployVerifier(errOut, opts.Version, key, opts.VerifyTimeout)

	if err := herokuSurfaceGate(opts, dir, project, key).run(ctx); err != nil {
		return err
	}

	var res *heroku.DeployResult
	var derr error
	if opts.IO.IsStderrTTY() && !opts.JSON && !opts.DryRun {
		derr = deployWithUI(ctx, opts.IO, func(progress func(deployers.Event), out io.Writer) error {
			dopts.Progress, dopts.Output = progress, out
			if opts.Preflight != nil {
				dopts.Preflight = func(ctx context.Context) error { return opts.Preflight(ctx, dir, out) }
			}
			var err error
			res, err = client.Deploy(ctx, dopts)
			return err
		})
	} else {
		res, derr = client.Deploy(ctx, dopts)
	}
	if opts.JSON {
		out := struct {
			*heroku.DeployResult
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
		printDeploySummary(opts, res)
	}
	return derr
}

// herokuSurfaceGate compares the app's tools with the project's before anything changes.
func herokuSurfaceGate(opts *deployHerokuOptions, dir string, project *config.File, key string) *surfaceGate {
	return &surfaceGate{IO: opts.IO, Exec: opts.Exec, Dir: dir, Cfg: project, Key: key, Allow: opts.AllowBreaking, DryRun: opts.DryRun,
		Endpoint: func(ctx context.Context) (string, error) {
			app := opts.App
			for _, a := range []string{project.Deploy.Heroku.App, project.Project.Name} {
				if app == "" {
					app = a
				}
			}
			base, err := (&heroku.Client{Exec: opts.Exec, Dir: dir, AppName: app}).WebURL(ctx)
			if err != nil {
				return "", err
			}
			return serverenv.EndpointURL(base, project.Server.Path), nil
		}}
}

// deployWithUI runs a deploy behind the terminal view: phases with a spinner and the
// tail of the build output. When the deploy fails, the whole output (build log, the
// app's last log lines) is printed after the view, where it can be read and scrolled.
func deployWithUI(ctx context.Context, ios *iostreams.IOStreams, deploy func(progress func(deployers.Event), out io.Writer) error) error {
	msgs := make(chan any, 256)
	var full bytes.Buffer
	var derr error
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		derr = deploy(func(e deployers.Event) { msgs <- e }, &lineSender{msgs: msgs, keep: &full})
		msgs <- deployui.Done{Err: derr}
	}()
	prog := tea.NewProgram(deployui.New(msgs, nil), tea.WithOutput(ios.ErrOut), tea.WithInput(nil), tea.WithContext(ctx))
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
		return uiErr
	}
	if derr != nil && full.Len() > 0 {
		fmt.Fprintf(ios.ErrOut, "\nBuild output and logs:\n%s\n", strings.TrimRight(full.String(), "\n"))
	}
	return derr
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
func deployDoctor(ctx context.Context, ex executor.Executor, dir string, w io.Writer) error {
	rep, err := doctor.Run(ctx, doctor.Options{Dir: dir, Exec: ex, ForDeploy: true})
	if err != nil {
		return err
	}
	if !rep.OK() {
		rep.WriteSummary(w, false)
	}
	return rep.Err()
}

// deployKey is the key a deploy verifies with: MCP_API_KEY, else the first key in .env.
func deployKey(project *config.File, env map[string]string) string {
	ks := keys.InEnv(env)
	if project.Server.Auth != config.AuthAPIKey || len(ks) == 0 {
		return ""
	}
	if k := env[keys.EnvVar]; k != "" {
		return k
	}
	return ks[0]
}

// deployVerifier checks a deployed endpoint with the check client, retrying a booting
// server for up to timeout.
func deployVerifier(errOut io.Writer, version, key string, timeout time.Duration) deployers.VerifyFunc {
	return func(ctx context.Context, endpoint string) error {
		rep, err := probe.Run(ctx, probe.Options{
			URL: endpoint, Key: key, KeySource: ".env " + keys.EnvVar,
			Retry:         probe.Retry{For: timeout},
			ClientName:    "mcpctl-deploy",
			ClientVersion: version,
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

func printDeploySummary(opts *deployHerokuOptions, res *heroku.DeployResult) {
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
	fmt.Fprintf(out, "  heroku logs --tail -a %s\n", res.App)
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
