package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/deployers/heroku"
)

func newDeployHerokuCmd(f *Factory, runF func(context.Context, *deployOptions) error) *cobra.Command {
	opts := newDeployOptions(f)
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
			if err := checkDeployFlags(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runDeploy(c.Context(), opts, func(dir string) deployers.Deployer {
				return &heroku.Client{Exec: opts.Exec, Dir: dir, Timeout: herokuTimeout(opts.Getenv)}
			})
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.App, "app", "", "Heroku app name (default: [deploy.heroku] app, else the project name)")
	fl.StringVar(&opts.Region, "region", "", "region for a new app: us or eu (default: [deploy.heroku] region)")
	addDeployFlags(c, opts, "app", "release", "dyno")
	return c
}
