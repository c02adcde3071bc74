package cmd

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/deployers/cloudrun"
)

func newDeployCloudRunCmd(f *Factory, runF func(context.Context, *deployOptions) error) *cobra.Command {
	opts := newDeployOptions(f)
	var minInstances, maxInstances int
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "cloudrun",
		Short: "Deploy to Google Cloud Run with gcloud, then verify and roll back on failure",
		Long: `Deploy the project to Google Cloud Run through your own gcloud (the Google Cloud CLI):

  1. preflight: gcloud installed with an active account, a project (--project, recorded,
     or gcloud's), a region (--region or recorded), the project folder's work committed
     (with --yes, mcpctl commits it), the project checks pass
  2. service: [deploy.cloudrun] service from mcpctl.toml or --service (else the project
     name); service, region and project are recorded in mcpctl.toml and committed
  3. config: the server settings and the SHA-256 hashes of the keys in .env (never a
     plaintext key), only what changed, as env vars of the new revision
  4. push: gcloud run deploy SERVICE --source . builds with Google's buildpacks
     (GOOGLE_BUILDABLE=./cmd/<name>, where the generated main is) and makes a revision
  5. verify: a real MCP client initializes, lists tools and checks that a request without
     the key is refused; when that fails, the logs are shown and all traffic goes back to
     the revision that served before (unless --no-rollback)

What it sets, and why:
  --allow-unauthenticated  hosted MCP clients cannot do Google IAM; the server checks its
                           own API key or OAuth token on every request
  --min-instances 1        a warm instance answers a hosted client's first request within
                           its ~10 s; it is billed while idle (Cloud Run's idle rate, on the
                           order of US$10 a month for 1 vCPU and 512 MiB): --min-instances 0
                           to scale to zero and pay nothing while idle
  --timeout 3600           long tool calls are not cut (Cloud Run's maximum; default 300 s)
  --max-instances 1        only when stateless = false: sessions live in one process

--dry-run changes nothing; without gcloud or a login it still shows the plan.`,
		Example: `  mcpctl deploy cloudrun --region europe-west1
  mcpctl deploy cloudrun --project acme-prod --region us-central1 --min-instances 0
  mcpctl deploy cloudrun --dry-run
  mcpctl deploy cloudrun --yes --json`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return FlagErrorf("deploy cloudrun takes no arguments")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkCloudRunTarget(opts.App, opts.Region, opts.PlatformProject); err != nil {
				return err
			}
			switch {
			case minInstances < 0 || maxInstances < 0:
				return FlagErrorf("--min-instances and --max-instances must not be negative")
			case maxInstances > 0 && minInstances > maxInstances:
				return FlagErrorf("--min-instances %d is more than --max-instances %d", minInstances, maxInstances)
			case timeout < time.Second || timeout > time.Hour:
				return FlagErrorf("--timeout must be from 1s to 60m (Cloud Run's limit)")
			}
			if err := checkDeployFlags(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runDeploy(c.Context(), opts, func(dir string) deployers.Deployer {
				return &cloudrun.Client{Exec: opts.Exec, Dir: dir, Timeout: envTimeout(opts.Getenv, gcloudTimeoutEnv),
					MinInstances: minInstances, MaxInstances: maxInstances, RequestTimeout: timeout}
			})
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.App, "service", "", "Cloud Run service name (default: [deploy.cloudrun] service, else the project name)")
	fl.StringVar(&opts.Region, "region", "", "region, such as us-central1 (default: [deploy.cloudrun] region)")
	fl.StringVar(&opts.PlatformProject, "project", "", "Google Cloud project id (default: [deploy.cloudrun] project, else gcloud's)")
	fl.IntVar(&minInstances, "min-instances", cloudrun.DefaultMinInstances, "instances kept warm (billed while idle); 0 scales to zero, and a cold start may miss a hosted client's first-request window")
	fl.IntVar(&maxInstances, "max-instances", 0, "cap on autoscaling (default: as it is; 1 for a stateful project)")
	fl.DurationVar(&timeout, "timeout", cloudrun.DefaultRequestTimeout, "request timeout, up to 60m: longer than your longest tool call")
	addDeployFlags(c, opts, "service", "revision", "instance")
	return c
}

// checkCloudRunTarget refuses a service, region or project name Cloud Run would not take.
func checkCloudRunTarget(service, region, project string) error {
	for _, v := range []struct {
		flag, val string
		check     func(string) error
	}{{"--service", service, config.CheckService}, {"--region", region, config.CheckGCPRegion}, {"--project", project, config.CheckGCPProject}} {
		if v.val != "" {
			if err := v.check(v.val); err != nil {
				return FlagErrorf("%s: %v", v.flag, err)
			}
		}
	}
	return nil
}
