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
	"github.com/mcpctl/mcpctl/doctor"
	"github.com/mcpctl/mcpctl/internal/envfile"
	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/internal/iostreams"
	"github.com/mcpctl/mcpctl/keys"
	"github.com/mcpctl/mcpctl/probe"
	"github.com/mcpctl/mcpctl/serverenv"
	"github.com/mcpctl/mcpctl/ui/deployui"
)

func newDeployCmd(f *Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "deploy <platform>",
		Short: "Deploy the project and prove it works",
		Long: `Deploy the project to a platform, then verify it with a real MCP client; a release that
does not work is rolled back. Platforms: heroku and cloudrun (Google Cloud Run).`,
		Example: `  mcpctl deploy heroku
  mcpctl deploy heroku --app weather-prod --region eu
  mcpctl deploy heroku --dry-run
  mcpctl deploy cloudrun --region europe-west1`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return FlagErrorf("unknown platform %q%s: mcpctl can deploy to heroku or cloudrun", args[0], didYouMean(args[0], []string{"heroku", "cloudrun"}))
			}
			return FlagErrorf("name a platform: mcpctl deploy heroku, or mcpctl deploy cloudrun")
		},
		RunE: func(c *cobra.Command, args []string) error { return nil },
	}
	c.AddCommand(newDeployHerokuCmd(f, nil), newDeployCloudRunCmd(f, nil))
	return c
}

// deployOptions are what every platform's deploy command shares; the platform's own
// flags go into its client.
type deployOptions struct {
	IO      *iostreams.IOStreams
	Exec    executor.Executor
	Getwd   func() (string, error)
	Getenv  func(string) string
	Version string
	// Preflight runs the project checks, writing what blocks the deploy to w.
	Preflight func(ctx context.Context, dir string, w io.Writer) error

	// The target named on the command line: the app (--app, --service), its region and
	// the platform's project (--project).
	App, Region, PlatformProject string

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
	opts.Preflight = func(ctx context.Context, dir string, w io.Writer) error { return deployDoctor(ctx, opts.Exec, dir, w) }
	return opts
}

// addDeployFlags adds the flags every deploy command has. release and instance are
// what the platform calls them ("release", "dyno").
func addDeployFlags(c *cobra.Command, opts *deployOptions, app, release, instance string) {
	fl := c.Flags()
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the commands that would change anything, change nothing")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "commit uncommitted work instead of refusing to deploy")
	fl.BoolVar(&opts.JSON, "json", false, "print the result as JSON on stdout")
	fl.BoolVar(&opts.NoRollback, "no-rollback", false, "keep a "+release+" that fails verification")
	fl.BoolVar(&opts.DropUnknownKeys, "drop-unknown-keys", false, "remove keys the "+app+" accepts that no key in .env matches (by default they are kept)")
	fl.DurationVar(&opts.VerifyTimeout, "verify-timeout", 2*time.Minute, "how long verification retries a booting "+instance)
	fl.BoolVar(&opts.AllowBreaking, "allow-breaking", false, "deploy even when the tools change in a way that breaks existing clients")
}

// checkDeployFlags refuses the shared flags' bad values.
func checkDeployFlags(opts *deployOptions) error {
	if opts.VerifyTimeout < 0 {
		return FlagErrorf("--verify-timeout must not be negative")
	}
	return nil
}

// runDeploy deploys the project in the working directory with the platform's client,
// which newClient makes for the project directory: the tools are compared with the
// deployed ones first, then the pipeline runs behind the progress view on a terminal,
// else with plain progress lines on stderr. With --json the result, and the error if
// any, is printed as JSON on stdout.
func runDeploy(ctx context.Context, opts *deployOptions, newClient func(dir string) deployers.Deployer) error {
	dir, project, err := openProject(opts.Getwd)
	if err != nil {
		return err
	}
	env, err := envfile.Read(filepath.Join(dir, envfile.Name))
	if err != nil {
		return err
	}
	d := newClient(dir)
	key := deployKey(project, env)
	if err := deploySurfaceGate(opts, d, dir, project, key).run(ctx); err != nil {
		return err
	}
	dopts := deployers.DeployOptions{
		Project: project, Env: env,
		App: opts.App, Region: opts.Region, PlatformProject: opts.PlatformProject,
		DryRun: opts.DryRun, Yes: opts.Yes, NoRollback: opts.NoRollback, DropUnknownKeys: opts.DropUnknownKeys,
		Dir: dir, Exec: opts.Exec,
		Record: func(table string, s []deployers.Setting) error { return recordTarget(dir, table, s, config.SetString) },
		CheckRecord: func(table string, s []deployers.Setting) error {
			return recordTarget(dir, table, s, config.CheckSetString)
		},
		Verify: deployVerifier(opts.IO.ErrOut, opts.Version, key, opts.VerifyTimeout),
	}
	run := func(progress func(deployers.Event), out, checks io.Writer) (*deployers.DeployResult, error) {
		dopts.Progress, dopts.Output = progress, out
		if opts.Preflight != nil {
			dopts.Preflight = func(ctx context.Context) error { return opts.Preflight(ctx, dir, checks) }
		}
		return deployers.Deploy(ctx, d, dopts)
	}
	ios := opts.IO
	var res *deployers.DeployResult
	var derr error
	if ios.IsStderrTTY() && !opts.JSON && !opts.DryRun {
		derr = deployWithUI(ctx, ios, func(progress func(deployers.Event), out io.Writer) error {
			var err error
			res, err = run(progress, out, out)
			return err
		})
	} else {
		res, derr = run(func(e deployers.Event) { printDeployEvent(ios, e) }, &prefixWriter{w: ios.ErrOut, prefix: "       "}, ios.ErrOut)
	}
	if opts.JSON {
		var doc any
		if res != nil {
			doc = d.Report(res).JSON
		}
		if err := writeDeployJSON(ios.Out, doc, derr); err != nil {
			return err
		}
	} else if res != nil && (derr == nil || res.DryRun && len(res.Planned) > 0) {
		// A dry run that stopped at a missing prerequisite still shows its plan.
		printDeploySummary(ios.Out, d, res)
	}
	return derr
}

// openProject reads the mcpctl.toml of the project in the working directory.
func openProject(getwd func() (string, error)) (string, *config.File, error) {
	dir, err := getwd()
	if err != nil {
		return "", nil, err
	}
	project, err := config.Load(dir)
	return dir, project, err
}

// deploySurfaceGate compares the deployed app's tools with the project's before
// anything changes. An app mcpctl cannot name yet (no region) has nothing to compare.
func deploySurfaceGate(opts *deployOptions, d deployers.Deployer, dir string, project *config.File, key string) *surfaceGate {
	return &surfaceGate{IO: opts.IO, Exec: opts.Exec, Dir: dir, Cfg: project, Key: key, Allow: opts.AllowBreaking, DryRun: opts.DryRun,
		Endpoint: func(ctx context.Context) (string, error) {
			t := deployers.Given(project, d.Name(), opts.App, opts.Region, opts.PlatformProject)
			if err := d.Resolve(ctx, project, &t, false, func(err error) error { return err }); err != nil {
				return "", err
			}
			d.SetTarget(t)
			base, err := d.WebURL(ctx)
			if err != nil {
				return "", err
			}
			return serverenv.EndpointURL(base, project.Server.Path), nil
		}}
}

// recordTarget writes (or, with config.CheckSetString, checks) settings into [table]
// of mcpctl.toml.
func recordTarget(dir, table string, settings []deployers.Setting, set func(dir, table, key, value string) error) error {
	for _, s := range settings {
		if err := set(dir, table, s.Key, s.Value); err != nil {
			return err
		}
	}
	return nil
}

// writeDeployJSON prints a deploy's result with an "error" member added when it failed,
// keeping the result's own field order.
func writeDeployJSON(w io.Writer, res any, derr error) error {
	body, err := json.Marshal(res)
	if err != nil {
		return err
	}
	if string(body) == "null" {
		body = []byte("{}")
	}
	if derr != nil {
		msg, err := json.Marshal(derr.Error())
		if err != nil {
			return err
		}
		sep := ","
		if string(body) == "{}" {
			sep = ""
		}
		body = append(append(append(body[:len(body)-1:len(body)-1], sep+`"error":`...), msg...), '}')
	}
	var out bytes.Buffer
	if err := json.Indent(&out, body, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
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

// printDeploySummary prints what a deploy did, or would do, and what to run next.
func printDeploySummary(out io.Writer, d deployers.Deployer, res *deployers.DeployResult) {
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
	rep := d.Report(res)
	fmt.Fprintln(out, rep.Headline)
	rows := append([][2]string{{"URL", res.WebURL}, {"Endpoint", res.Endpoint}}, rep.Details...)
	if res.Verified {
		rows = append(rows, [2]string{"Verified", "a real MCP client initialized and listed the tools"})
	}
	width := 0
	for _, r := range rows {
		width = max(width, len(r[0])+2)
	}
	for _, r := range rows {
		fmt.Fprintf(out, "  %-*s %s\n", width, r[0]+":", r[1])
	}
	fmt.Fprintf(out, "\nNext:\n")
	fmt.Fprintf(out, "  mcpctl connect cursor --target deployed   # or claude-code, vscode, …\n")
	fmt.Fprintf(out, "  mcpctl check %s\n", res.Endpoint)
	fmt.Fprintf(out, "  %s\n", d.Manual().Logs)
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
