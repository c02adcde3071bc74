package cmd

import (
	"github.com/spf13/cobra"
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
