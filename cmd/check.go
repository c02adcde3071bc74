package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/internal/envfile"
	"github.com/mcpctl/mcpctl/internal/iostreams"
	"github.com/mcpctl/mcpctl/probe"
	"github.com/mcpctl/mcpctl/serverenv"
)

type checkOptions struct {
	IO      *iostreams.IOStreams
	Getwd   func() (string, error)
	Version string
	// HTTPClient replaces the default client (tests: a client trusting a test CA).
	HTTPClient *http.Client
	// DeployedURL resolves `check deployed`: the project's deployed MCP endpoint.
	DeployedURL func(ctx context.Context) (string, error)

	credentialOptions
	URL      string
	Call     string
	Args     string
	Timeout  time.Duration
	RetryFor time.Duration
	JSON     bool

	args json.RawMessage
	// now and sleep replace the probe's clock in tests.
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

func newCheckCmd(f *Factory, runF func(context.Context, *checkOptions) error) *cobra.Command {
	opts := &checkOptions{IO: f.IOStreams, Getwd: f.Getwd, Version: f.Version, credentialOptions: credentialOptions{Getenv: f.Getenv}}
	if f.Executor != nil {
		opts.DeployedURL = func(ctx context.Context) (string, error) {
			dir, err := opts.Getwd()
			if err != nil {
				return "", err
			}
			cfg, err := config.Load(dir)
			if err != nil {
				return "", err
			}
			p, err := projectPlatform(f.IOStreams, f.Executor, f.Getenv, dir, cfg)
			if errors.Is(err, deployers.ErrNoApp) {
				return "", &hintError{err: err, hint: "deploy it with `mcpctl deploy heroku` or `mcpctl deploy cloudrun`, or pass the endpoint URL"}
			} else if err != nil {
				return "", err
			}
			base, err := p.WebURL(ctx)
			if err != nil {
				return "", err
			}
			return serverenv.EndpointURL(base, cfg.Server.Path), nil
		}
	}
	c := &cobra.Command{
		Use:   "check URL|deployed",
		Short: "Verify an MCP endpoint as a real client would",
		Long: `Verify any MCP endpoint (Streamable HTTP) the way a client uses it: reach it over TCP and
TLS, check that a request without credentials is rejected, initialize a session, list the
tools and, with --call, call one. Each step is timed; a failure says what went wrong and
what to do next, and has its own exit code.

The API key is read from the variable --key-env names (default MCP_API_KEY): from the
shell's environment, else from ./.env (the order every mcpctl command uses), and sent in
the x-api-key header (--key-header changes it). A rejected key's report names where it
came from. For OAuth servers, check follows the discovery chain (protected-resource and
authorization-server metadata); pass an access token with --token or --token-env to run
the MCP steps too.

` + "`check deployed`" + ` checks the project's deployed app (Heroku or Cloud Run, as mcpctl.toml
records it), looking its URL up on the platform.

A sleeping or booting server (502/503/504, Heroku router errors, timeouts) is retried
with backoff for up to --retry-for. A base URL without the MCP path is tried with /mcp.

Exit codes:
` + probe.ExitCodeHelp(
			probe.ExitCodeDoc{Code: 2, Class: "usage", Meaning: "invalid flags or URL"},
			probe.ExitCodeDoc{Code: 130, Class: "interrupted", Meaning: "stopped by Ctrl-C or SIGTERM"}),
		Example: `  mcpctl check https://myserver-1a2b3c4d5e6f.herokuapp.com/mcp
  mcpctl check deployed
  mcpctl check http://127.0.0.1:8000/mcp --call say_hello --args '{"name":"Ada"}'
  mcpctl check https://example.com/mcp --key-env PROD_MCP_KEY --json
  mcpctl check https://example.com/mcp --token-env MCP_ACCESS_TOKEN`,
		Args: oneURL,
		RunE: func(c *cobra.Command, args []string) error {
			opts.URL = args[0]
			if opts.URL == "deployed" && opts.DeployedURL != nil {
				u, err := opts.DeployedURL(c.Context())
				if err != nil {
					return err
				}
				fmt.Fprintf(opts.IO.ErrOut, "Checking the deployed server: %s\n", u)
				opts.URL = u
			}
			if err := opts.validate(c); err != nil {
				return err
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runCheck(c.Context(), opts)
		},
	}
	opts.credentialOptions.addFlags(c)
	fl := c.Flags()
	fl.StringVar(&opts.Call, "call", "", "call this tool after listing the tools")
	fl.StringVar(&opts.Args, "args", "", "arguments of the --call tool, as a JSON object")
	fl.DurationVar(&opts.Timeout, "timeout", probe.DefaultTimeout, "timeout of each request")
	fl.DurationVar(&opts.RetryFor, "retry-for", time.Minute, "keep retrying a sleeping or booting server for this long (0: never retry)")
	fl.BoolVar(&opts.JSON, "json", false, "print one machine-readable JSON report")
	return c
}

func (o *checkOptions) validate(c *cobra.Command) error {
	if _, err := probe.ParseURL(o.URL); err != nil {
		return &FlagError{err: err}
	}
	if err := o.credentialOptions.validate(c); err != nil {
		return err
	}
	var err error
	if o.args, err = toolArgs(o.Call, o.Args); err != nil {
		return err
	}
	if o.Timeout <= 0 {
		return FlagErrorf("--timeout must be positive")
	}
	if o.RetryFor < 0 {
		return FlagErrorf("--retry-for must not be negative")
	}
	return nil
}

// checkFailedError carries a failed check's exit code to main. The report has already
// said what went wrong, so main prints nothing more.
type checkFailedError struct{ report *probe.Report }

func (e *checkFailedError) Error() string        { return "check failed: " + e.report.Summary }
func (e *checkFailedError) ExitCode() int        { return e.report.ExitCode }
func (e *checkFailedError) Hint() string         { return e.report.Hint }
func (e *checkFailedError) Is(target error) bool { return target == ErrSilent }

func runCheck(ctx context.Context, opts *checkOptions) error {
	cwd, err := opts.Getwd()
	if err != nil {
		return err
	}
	// An OAuth token goes where a bearer goes; the probe still checks that a request
	// without it is refused.
	key, keyHeader, source, err := opts.credential(cwd)
	if err != nil {
		return err
	}
	po := probe.Options{
		URL:           opts.URL,
		Key:           key,
		KeyHeader:     keyHeader,
		KeySource:     source,
		Header:        opts.header,
		Timeout:       opts.Timeout,
		Retry:         probe.Retry{For: opts.RetryFor},
		HTTPClient:    opts.HTTPClient,
		ClientName:    "mcpctl-check",
		ClientVersion: opts.Version,
		Now:           opts.now,
		Sleep:         opts.sleep,
	}
	if cfg, err := config.Load(cwd); err == nil && cfg.Server.Path != "" {
		// Inside a project, a base URL is completed with the project's own MCP path.
		po.MCPPath = cfg.Server.Path
	}
	if opts.Call != "" {
		po.Call = &probe.ToolCall{Name: opts.Call, Args: opts.args}
	}
	out, errOut := opts.IO.Out, opts.IO.ErrOut
	color := opts.IO.ColorEnabled() && opts.IO.IsStdoutTTY()
	po.OnRetry = func(n probe.RetryNotice) {
		fmt.Fprintf(errOut, "%s: %s; retrying in %s (attempt %d)\n", n.Step, n.Reason, n.Wait, n.Attempt+1)
	}
	po.OnProgress = func(pr probe.Progress) {
		fmt.Fprintf(errOut, "%s: progress %s after %s%s\n", opts.Call, progressAmount(pr), pr.Elapsed.Round(100*time.Millisecond), progressMessage(pr))
	}
	if !opts.JSON {
		probe.WriteHeader(out, opts.URL)
		po.OnStep = func(s probe.Step) { probe.WriteStep(out, s, color) }
	}

	report, err := probe.Run(ctx, po)
	if err != nil {
		return err
	}
	if !report.OK && report.ExitCode == probe.ExitAuth {
		report.Hint += shellKeyNote(opts, cwd, key, source)
	}
	if opts.JSON {
		if err := report.WriteJSON(out); err != nil {
			return err
		}
	} else {
		report.WriteVerdict(out, color)
	}
	if !report.OK {
		return &checkFailedError{report: report}
	}
	return nil
}

// shellKeyNote explains a refused key that came from the shell while ./.env holds another:
// the shell's wins, in every command.
func shellKeyNote(opts *checkOptions, cwd, key, source string) string {
	if opts.Token != "" || opts.TokenEnv != "" || key == "" || key != opts.Getenv(opts.KeyEnv) {
		return ""
	}
	vars, err := envfile.Read(filepath.Join(cwd, envfile.Name))
	if err != nil || vars[opts.KeyEnv] == "" || vars[opts.KeyEnv] == key {
		return ""
	}
	return fmt.Sprintf("; the key sent is %s, which wins over ./.env's other one: to send .env's, `unset %s` or run %s",
		source, opts.KeyEnv, serverenv.ExportCommand(opts.KeyEnv, envfile.Name))
}

// Interfaces main matches with errors.As, asserted so that a renamed method fails the build.
var (
	_ Hinter                      = (*checkFailedError)(nil)
	_ interface{ ExitCode() int } = (*checkFailedError)(nil)
)

func progressAmount(pr probe.Progress) string {
	if pr.Total > 0 {
		return fmt.Sprintf("%g/%g", pr.Progress, pr.Total)
	}
	return fmt.Sprintf("%g", pr.Progress)
}

func progressMessage(pr probe.Progress) string {
	if pr.Message == "" {
		return ""
	}
	return ": " + pr.Message
}
