package cmd

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/deployers/cloudrun"
	"github.com/mcpctl/mcpctl/internal/envfile"
	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/internal/iostreams"
	"github.com/mcpctl/mcpctl/serverenv"
)

type deployCloudRunOptions struct {
	IO      *iostreams.IOStreams
	Exec    executor.Executor
	Getwd   func() (string, error)
	Getenv  func(string) string
	Version string
	// Preflight runs the project checks, writing what blocks the deploy to w.
	Preflight func(ctx context.Context, dir string, w io.Writer) error

	Service       string
	Region        string
	Project       string
	MinInstances  int
	MaxInstances  int
	Timeout       time.Duration
	DryRun        bool
	Yes           bool
	JSON          bool
	NoRollback    bool
	VerifyTimeout time.Duration
	// DropUnknownKeys lets the config step remove key hashes no key in .env matches.
	DropUnknownKeys bool
	AllowBreaking   bool
}

func newDeployCloudRunCmd(f *Factory, runF func(context.Context, *deployCloudRunOptions) error) *cobra.Command {
	opts := &deployCloudRunOptions{IO: f.IOStreams, Exec: f.Executor, Getwd: f.Getwd, Getenv: f.Getenv, Version: f.Version}
	opts.Preflight = func(ctx context.Context, dir string, w io.Writer) error { return deployDoctor(ctx, opts.Exec, dir, w) }
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
			for _, v := range []struct {
				flag, val string
				check     func(string) error
			}{{"--service", opts.Service, config.CheckService}, {"--region", opts.Region, config.CheckGCPRegion}, {"--project", opts.Project, config.CheckGCPProject}} {
				if v.val != "" {
					if err := v.check(v.val); err != nil {
						return FlagErrorf("%s: %v", v.flag, err)
					}
				}
			}
			switch {
			case opts.MinInstances < 0 || opts.MaxInstances < 0:
				return FlagErrorf("--min-instances and --max-instances must not be negative")
			case opts.MaxInstances > 0 && opts.MinInstances > opts.MaxInstances:
				return FlagErrorf("--min-instances %d is more than --max-instances %d", opts.MinInstances, opts.MaxInstances)
			case opts.Timeout < time.Second || opts.Timeout > time.Hour:
				return FlagErrorf("--timeout must be from 1s to 60m (Cloud Run's limit)")
			case opts.VerifyTimeout < 0:
				return FlagErrorf("--verify-timeout must not be negative")
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runDeployCloudRun(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.Service, "service", "", "Cloud Run service name (default: [deploy.cloudrun] service, else the project name)")
	fl.StringVar(&opts.Region, "region", "", "region, such as us-central1 (default: [deploy.cloudrun] region)")
	fl.StringVar(&opts.Project, "project", "", "Google Cloud project id (default: [deploy.cloudrun] project, else gcloud's)")
	fl.IntVar(&opts.MinInstances, "min-instances", cloudrun.DefaultMinInstances, "instances kept warm (billed while idle); 0 scales to zero, and a cold start may miss a hosted client's first-request window")
	fl.IntVar(&opts.MaxInstances, "max-instances", 0, "cap on autoscaling (default: as it is; 1 for a stateful project)")
	fl.DurationVar(&opts.Timeout, "timeout", cloudrun.DefaultRequestTimeout, "request timeout, up to 60m: longer than your longest tool call")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the commands that would change anything, change nothing")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "commit uncommitted work instead of refusing to deploy")
	fl.BoolVar(&opts.JSON, "json", false, "print the result as JSON on stdout")
	fl.BoolVar(&opts.NoRollback, "no-rollback", false, "keep a revision that fails verification")
	fl.BoolVar(&opts.DropUnknownKeys, "drop-unknown-keys", false, "remove keys the service accepts that no key in .env matches (by default they are kept)")
	fl.DurationVar(&opts.VerifyTimeout, "verify-timeout", 2*time.Minute, "how long verification retries a booting instance")
	fl.BoolVar(&opts.AllowBreaking, "allow-breaking", false, "deploy even when the tools change in a way that breaks existing clients")
	return c
}

func runDeployCloudRun(ctx context.Context, opts *deployCloudRunOptions) error {
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
	key := deployKey(project, env)
	client := &cloudrun.Client{Exec: opts.Exec, Dir: dir, Timeout: envTimeout(opts.Getenv, gcloudTimeoutEnv)}
	dopts := cloudrun.DeployOptions{
		Project: project, Env: env,
		Service: opts.Service, Region: opts.Region, GCPProject: opts.Project,
		MinInstances: opts.MinInstances, MaxInstances: opts.MaxInstances, Timeout: opts.Timeout,
		DryRun: opts.DryRun, Yes: opts.Yes, NoRollback: opts.NoRollback, DropUnknownKeys: opts.DropUnknownKeys,
		Record:      func(r config.CloudRun) error { return recordCloudRun(dir, r, config.SetString) },
		CheckRecord: func(r config.CloudRun) error { return recordCloudRun(dir, r, config.CheckSetString) },
		Verify:      deployVerifier(errOut, opts.Version, key, opts.VerifyTimeout),
	}
	if r := project.Deploy.CloudRun; r.Service != "" && r.Region != "" {
		gate := &surfaceGate{IO: opts.IO, Exec: opts.Exec, Dir: dir, Cfg: project, Key: key, Allow: opts.AllowBreaking, DryRun: opts.DryRun,
			Endpoint: func(ctx context.Context) (string, error) {
				base, err := (&cloudrun.Client{Exec: opts.Exec, Dir: dir, Service: r.Service, Region: r.Region, Project: r.Project}).WebURL(ctx)
				if err != nil {
					return "", err
				}
				return serverenv.EndpointURL(base, project.Server.Path), nil
			}}
		if err := gate.run(ctx); err != nil {
			return err
		}
	}

	res, derr := runDeployView(ctx, opts.IO, opts.JSON, opts.DryRun, func(progress func(deployers.Event), out, checks io.Writer) (*cloudrun.DeployResult, error) {
		dopts.Progress, dopts.Output = progress, out
		if opts.Preflight != nil {
			dopts.Preflight = func(ctx context.Context) error { return opts.Preflight(ctx, dir, checks) }
		}
		return client.Deploy(ctx, dopts)
	})
	if !opts.JSON && res != nil && (derr == nil || res.DryRun && len(res.Planned) > 0) {
		printCloudRunSummary(opts.IO.Out, res)
	}
	return derr
}

// recordCloudRun writes (or, with config.CheckSetString, checks) [deploy.cloudrun].
func recordCloudRun(dir string, r config.CloudRun, set func(dir, table, key, value string) error) error {
	for _, kv := range [][2]string{{"service", r.Service}, {"region", r.Region}, {"project", r.Project}} {
		if err := set(dir, "deploy.cloudrun", kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}

func printCloudRunSummary(out io.Writer, res *cloudrun.DeployResult) {
	if res.DryRun {
		fmt.Fprintf(out, "Dry run: nothing was changed. A deploy of %s would run:\n", res.Service)
		for _, p := range res.Planned {
			fmt.Fprintf(out, "  %s\n", p)
		}
		return
	}
	fmt.Fprintf(out, "Deployed %s (revision %s) in %s, project %s\n", res.Service, res.Revision, res.Region, res.Project)
	fmt.Fprintf(out, "  URL:        %s\n", res.URL)
	fmt.Fprintf(out, "  Endpoint:   %s\n", res.Endpoint)
	fmt.Fprintf(out, "  Ingress:    public (--allow-unauthenticated); the server checks its own key or token\n")
	if res.MinInstances > 0 {
		fmt.Fprintf(out, "  Instances:  at least %d kept warm, billed while idle (--min-instances 0 to scale to zero)\n", res.MinInstances)
	} else {
		fmt.Fprintf(out, "  Instances:  scale to zero; a cold start may miss a hosted client's first-request window\n")
	}
	if res.Verified {
		fmt.Fprintf(out, "  Verified:   a real MCP client initialized and listed the tools\n")
	}
	fmt.Fprintf(out, "\nNext:\n")
	fmt.Fprintf(out, "  mcpctl connect cursor --target deployed   # or claude-code, vscode, …\n")
	fmt.Fprintf(out, "  mcpctl check %s\n", res.Endpoint)
	fmt.Fprintf(out, "  gcloud run services logs read %s --region=%s --project=%s\n", res.Service, res.Region, res.Project)
}
