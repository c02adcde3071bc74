package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/spf13/cobra"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/doctor"
	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/internal/iostreams"
	"github.com/mcpctl/mcpctl/keys"
	"github.com/mcpctl/mcpctl/probe"
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

// runDeployView runs one deploy for any platform's command: behind the progress view on
// a terminal, else with plain progress lines on stderr. deploy gets the progress sink,
// where command output goes and where the project checks write. With jsonOut the result,
// and the error if any, is printed as JSON on stdout.
func runDeployView[R any](ctx context.Context, ios *iostreams.IOStreams, jsonOut, dryRun bool,
	deploy func(progress func(deployers.Event), out, checks io.Writer) (*R, error)) (*R, error) {
	var res *R
	var derr error
	if ios.IsStderrTTY() && !jsonOut && !dryRun {
		derr = deployWithUI(ctx, ios, func(progress func(deployers.Event), out io.Writer) error {
			var err error
			res, err = deploy(progress, out, out)
			return err
		})
	} else {
		res, derr = deploy(func(e deployers.Event) { printDeployEvent(ios, e) }, &prefixWriter{w: ios.ErrOut, prefix: "       "}, ios.ErrOut)
	}
	if jsonOut {
		if err := writeDeployJSON(ios.Out, res, derr); err != nil {
			return res, err
		}
	}
	return res, derr
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
func printDeploySummary(ios *iostreams.IOStreams, man deployers.Manual, res *deployers.DeployResult) {
	out := ios.Out
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
