package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/deployers/cloudrun"
	"github.com/mcpctl/mcpctl/deployers/heroku"
	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/internal/iostreams"
)

type scaleOptions struct {
	IO     *iostreams.IOStreams
	Exec   executor.Executor
	Getwd  func() (string, error)
	Getenv func(string) string
	// Health reads the deployed server's /health; nil skips that check.
	Health func(ctx context.Context, baseURL string) (stateless *bool, err error)

	Platform string
	Web      int  // heroku: web dynos
	Min, Max *int // cloudrun: instances (nil: unchanged)
}

func newScaleCmd(f *Factory, runF func(context.Context, *scaleOptions) error) *cobra.Command {
	opts := &scaleOptions{IO: f.IOStreams, Exec: f.Executor, Getwd: f.Getwd, Getenv: f.Getenv, Health: healthStateless}
	run := func(c *cobra.Command) error {
		if runF != nil {
			return runF(c.Context(), opts)
		}
		return runScale(c.Context(), opts)
	}
	c := &cobra.Command{
		Use:   "scale <platform>",
		Short: "Change how many instances of the deployed server run",
		Long: `Change how many instances of the deployed server run. More than one is refused while the
project is stateful (stateless = false in mcpctl.toml, or the deployed server's /health
says so): sessions live in one process, requests that reach another instance fail with
"session not found", and MCP clients keep no cookies, so session affinity cannot help.
A stateless server (the default) scales out with no change.`,
		Example: `  mcpctl scale heroku web=2
  mcpctl scale cloudrun --min 1 --max 10
  mcpctl scale cloudrun --min 0`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return FlagErrorf("unknown platform %q%s: use heroku or cloudrun", args[0], didYouMean(args[0], []string{"heroku", "cloudrun"}))
			}
			return FlagErrorf("name a platform: mcpctl scale heroku web=N, or mcpctl scale cloudrun --min N --max M")
		},
		RunE: func(*cobra.Command, []string) error { return nil },
	}
	herokuCmd := &cobra.Command{
		Use:     "heroku web=N",
		Short:   "Set the number of web dynos (heroku ps:scale)",
		Example: "  mcpctl scale heroku web=2",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return FlagErrorf("give the web dynos as web=N, such as: mcpctl scale heroku web=2")
			}
			n, err := strconv.Atoi(strings.TrimPrefix(args[0], "web="))
			if !strings.HasPrefix(args[0], "web=") || err != nil || n < 0 || n > 100 {
				return FlagErrorf("%q: give web=N with N from 0 to 100 (the generated server has only a web process)", args[0])
			}
			opts.Platform, opts.Web = "heroku", n
			return nil
		},
		RunE: func(c *cobra.Command, _ []string) error { return run(c) },
	}
	var minN, maxN int
	runCmd := &cobra.Command{
		Use:     "cloudrun --min N --max M",
		Short:   "Set the minimum and maximum instances of the Cloud Run service",
		Example: "  mcpctl scale cloudrun --min 1 --max 10\n  mcpctl scale cloudrun --min 0   # scale to zero when idle; nothing billed then",
		Args:    noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.Platform = "cloudrun"
			if c.Flags().Changed("min") {
				opts.Min = &minN
			}
			if c.Flags().Changed("max") {
				opts.Max = &maxN
			}
			switch {
			case opts.Min == nil && opts.Max == nil:
				return FlagErrorf("give --min, --max or both")
			case minN < 0 || maxN < 0 || opts.Max != nil && maxN == 0:
				return FlagErrorf("--min must be 0 or more, --max 1 or more")
			case opts.Min != nil && opts.Max != nil && minN > maxN:
				return FlagErrorf("--min %d is more than --max %d", minN, maxN)
			}
			return run(c)
		},
	}
	runCmd.Flags().IntVar(&minN, "min", 0, "instances kept warm (billed while idle; 0 scales to zero, and a cold start may miss a hosted client's ~10 s)")
	runCmd.Flags().IntVar(&maxN, "max", 0, "most instances autoscaling may start")
	c.AddCommand(herokuCmd, runCmd)
	return c
}

func runScale(ctx context.Context, opts *scaleOptions) error {
	dir, project, err := openProject(opts.Getwd)
	if err != nil {
		return err
	}
	several := opts.Web > 1 || opts.Max != nil && *opts.Max > 1 || opts.Min != nil && *opts.Min > 1
	if several && !project.Server.Stateless {
		return &hintError{err: errors.New("refusing more than one instance: mcpctl.toml has stateless = false"), hint: cloudrun.StatefulHint}
	}
	t := deployers.Recorded(project, opts.Platform)
	p := platforms(opts.IO, opts.Exec, opts.Getenv, dir)[opts.Platform](t)
	if t.App == "" {
		return &hintError{err: fmt.Errorf("the project has no %s", strings.TrimSpace(strings.TrimPrefix(platformTitle(p), "the "))), hint: "deploy it first: mcpctl deploy " + opts.Platform}
	}
	if several {
		if err := checkDeployedStateless(ctx, opts, p.WebURL); err != nil {
			return err
		}
	}
	out := opts.IO.Out
	switch c := p.(type) {
	case *heroku.Client:
		if err := c.Scale(ctx, opts.Web); err != nil {
			return err
		}
		fmt.Fprintf(out, "The Heroku app %s runs %d web dyno(s) now.\n", t.App, opts.Web)
	case *cloudrun.Client:
		if err := c.Scale(ctx, opts.Min, opts.Max); err != nil {
			return err
		}
		fmt.Fprintf(out, "The Cloud Run service %s scales%s now.\n", t.App, scaleRange(opts.Min, opts.Max))
		if opts.Min != nil && *opts.Min > 0 {
			fmt.Fprintf(out, "%d instance(s) are kept warm and billed while idle; `mcpctl scale cloudrun --min 0` scales to zero.\n", *opts.Min)
		} else if opts.Min != nil {
			fmt.Fprintln(out, "It scales to zero when idle: a cold start may miss a hosted client's first-request window (~10 s).")
		}
	}
	return nil
}

func scaleRange(minN, maxN *int) string {
	var parts []string
	if minN != nil {
		parts = append(parts, fmt.Sprintf(" from %d", *minN))
	}
	if maxN != nil {
		parts = append(parts, fmt.Sprintf(" up to %d", *maxN))
	}
	return strings.Join(parts, "") + " instances"
}

// checkDeployedStateless asks the deployed server itself: mcpctl.toml may say stateless
// while the running release is an older, stateful one.
func checkDeployedStateless(ctx context.Context, opts *scaleOptions, webURL func(context.Context) (string, error)) error {
	if opts.Health == nil {
		return nil
	}
	base, err := webURL(ctx)
	if err != nil {
		return err
	}
	stateless, err := opts.Health(ctx, base)
	switch {
	case err != nil:
		fmt.Fprintf(opts.IO.ErrOut, "Note: could not read %s/health (%v); going by mcpctl.toml, which says stateless.\n", strings.TrimRight(base, "/"), err)
	case stateless != nil && !*stateless:
		return &hintError{err: errors.New("refusing more than one instance: the deployed server reports stateless = false on /health"),
			hint: "deploy the stateless configuration first (mcpctl deploy), then scale; " + cloudrun.StatefulHint}
	}
	return nil
}

// healthStateless reads "stateless" from a server's /health; nil when the server does
// not say (one generated before /health reported it).
func healthStateless(ctx context.Context, baseURL string) (*bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(baseURL, "/")+"/health", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %s", resp.Status)
	}
	var body struct {
		Stateless *bool `json:"stateless"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	return body.Stateless, nil
}
