package cmd

import (
	"context"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/deployers/heroku"
	"github.com/mcpctl/mcpctl/internal/envfile"
	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/internal/iostreams"
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
	rec := deployers.Recorded(project, client.Name())
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
	}
	key := deployKey(project, env)
	dopts.Verify = deployVerifier(errOut, opts.Version, key, opts.VerifyTimeout)

	if err := herokuSurfaceGate(opts, dir, project, key).run(ctx); err != nil {
		return err
	}

	res, derr := runDeployView(ctx, opts.IO, opts.JSON, opts.DryRun, func(progress func(deployers.Event), out, checks io.Writer) (*deployers.DeployResult, error) {
		dopts.Progress, dopts.Output = progress, out
		if opts.Preflight != nil {
			dopts.Preflight = func(ctx context.Context) error { return opts.Preflight(ctx, dir, checks) }
		}
		return deployers.Deploy(ctx, client, dopts)
	})
	// A dry run that stopped at a missing prerequisite still shows its plan.
	if !opts.JSON && res != nil && (derr == nil || res.DryRun && len(res.Planned) > 0) {
		printDeploySummary(opts.IO, client.Manual(), res)
	}
	return derr
}

// herokuSurfaceGate compares the app's tools with the project's before anything changes.
func herokuSurfaceGate(opts *deployHerokuOptions, dir string, project *config.File, key string) *surfaceGate {
	return &surfaceGate{IO: opts.IO, Exec: opts.Exec, Dir: dir, Cfg: project, Key: key, Allow: opts.AllowBreaking, DryRun: opts.DryRun,
		Endpoint: func(ctx context.Context) (string, error) {
			app := deployers.AppName(project, "heroku", opts.App)
			base, err := (&heroku.Client{Exec: opts.Exec, Dir: dir, AppName: app}).WebURL(ctx)
			if err != nil {
				return "", err
			}
			return serverenv.EndpointURL(base, project.Server.Path), nil
		}}
}
