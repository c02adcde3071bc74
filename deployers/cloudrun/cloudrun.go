// Package cloudrun deploys and manages a service on Google Cloud Run by driving the
// user's own `gcloud` through the executor. It parses gcloud's JSON output and turns its
// failures into errors that say what to do.
package cloudrun

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/internal/executor"
)

// Client talks to one Cloud Run service. Dir is the project directory.
type Client struct {
	Exec    executor.Executor
	Dir     string
	Service string
	Region  string
	// Project is the Google Cloud project; "" uses gcloud's configured one.
	Project string
	// Timeout bounds each gcloud call (deployers.CallTimeout when zero); a deploy from source
	// gets deployers.BuildTimeout, since it includes the build.
	Timeout time.Duration

	// What a deploy sets: the instances kept warm, the cap on autoscaling (0: leave it
	// as it is; a stateful project gets 1) and the request timeout (Cloud Run allows up
	// to 60 minutes; DefaultRequestTimeout when zero).
	MinInstances, MaxInstances int
	RequestTimeout             time.Duration

	maxInstances int          // MaxInstances as the project allows it
	buildable    string       // the package the Go buildpack builds, such as ./cmd/weather
	svc          *Service     // the service as a deploy found it; nil when new
	progress     func(string) // reports what a deploy does beyond its steps
}

// Name is the platform's name.
func (c *Client) Name() string { return "cloudrun" }

// App is the Cloud Run service name.
func (c *Client) App() string { return c.Service }

// Errors a caller may want to tell apart.
var (
	ErrNotInstalled    = errors.New("the gcloud CLI is not installed")
	ErrNotLoggedIn     = errors.New("gcloud has no active account")
	ErrNoProject       = errors.New("no Google Cloud project is set")
	ErrServiceNotFound = errors.New("no such Cloud Run service, or no access to it")
	// ErrPinned means traffic is pinned to an older revision (after a rollback): a
	// change would make a revision that serves nothing.
	ErrPinned = errors.New("traffic is pinned to an older revision")
)

const installHint = "install the Google Cloud CLI (https://cloud.google.com/sdk/docs/install), then run `gcloud auth login` and `gcloud config set project PROJECT_ID`"

// env keeps gcloud from asking questions: mcpctl is not a terminal for it.
var env = []string{"CLOUDSDK_CORE_DISABLE_PROMPTS=1"}

// run calls `gcloud ARGS --region=R --project=P` for a `gcloud run` command.
func (c *Client) run(ctx context.Context, step string, timeout time.Duration, out io.Writer, args ...string) (executor.Result, error) {
	args = append(args, "--region="+c.Region)
	if c.Project != "" {
		args = append(args, "--project="+c.Project)
	}
	return c.gcloud(ctx, step, executor.Cmd{Name: "gcloud", Args: args, Dir: c.Dir, Env: env, Timeout: timeout, Stderr: out})
}

func (c *Client) gcloud(ctx context.Context, step string, cmd executor.Cmd) (executor.Result, error) {
	cmd.Timeout = cmp.Or(cmd.Timeout, c.Timeout, deployers.CallTimeout)
	res, err := c.Exec.Run(ctx, cmd)
	if err == nil {
		return res, nil
	}
	var nf *executor.NotFoundError
	var exit *executor.ExitError
	switch {
	case errors.As(err, new(*executor.TimeoutError)):
		return res, &deployers.Error{Step: step, Err: err, Fix: "gcloud did not answer; check https://status.cloud.google.com and your connection, then run the same command again"}
	case errors.As(err, &nf):
		return res, &deployers.Error{Step: step, Err: ErrNotInstalled, Fix: installHint}
	case errors.As(err, &exit):
		msg := strings.TrimSpace(string(exit.Stderr))
		switch low := strings.ToLower(msg); {
		case strings.Contains(low, "cannot find service"):
			return res, &deployers.Error{Step: step, Err: fmt.Errorf("%w: %s in %s", ErrServiceNotFound, c.Service, c.where()),
				Fix: "check the name with `gcloud run services list`, or remove [deploy.cloudrun] from mcpctl.toml to deploy a new service"}
		case strings.Contains(low, "active account"):
			return res, &deployers.Error{Step: step, Err: ErrNotLoggedIn, Fix: "run `gcloud auth login`, then try again"}
		case strings.Contains(low, "property [project]"):
			return res, &deployers.Error{Step: step, Err: ErrNoProject, Fix: "pass --project PROJECT_ID, or run `gcloud config set project PROJECT_ID`"}
		}
	}
	return res, &deployers.Error{Step: step, Err: err}
}

func (c *Client) where() string {
	if c.Project == "" {
		return "region " + c.Region
	}
	return "region " + c.Region + ", project " + c.Project
}

// CheckInstalled reports whether the gcloud executable is on PATH.
func (c *Client) CheckInstalled() error {
	if _, err := c.Exec.LookPath("gcloud"); err != nil {
		return &deployers.Error{Step: "preflight", Err: ErrNotInstalled, Fix: installHint}
	}
	return nil
}

// Account returns gcloud's active account.
func (c *Client) Account(ctx context.Context) (string, error) {
	res, err := c.gcloud(ctx, "preflight", executor.Cmd{Name: "gcloud", Args: []string{"auth", "list", "--format=json"}, Dir: c.Dir, Env: env})
	if err != nil {
		return "", err
	}
	var accounts []struct {
		Account string `json:"account"`
		Status  string `json:"status"`
	}
	if err := json.Unmarshal(res.Stdout, &accounts); err != nil {
		return "", &deployers.Error{Step: "preflight", Err: fmt.Errorf("unexpected output from gcloud auth list --format=json: %s", deployers.Snippet(res.Stdout))}
	}
	for _, a := range accounts {
		if a.Status == "ACTIVE" {
			return a.Account, nil
		}
	}
	return "", &deployers.Error{Step: "preflight", Err: ErrNotLoggedIn, Fix: "run `gcloud auth login`, then try again"}
}

// ConfiguredProject returns gcloud's configured project, "" when none is set.
func (c *Client) ConfiguredProject(ctx context.Context) (string, error) {
	res, err := c.gcloud(ctx, "preflight", executor.Cmd{Name: "gcloud", Args: []string{"config", "get-value", "project"}, Dir: c.Dir, Env: env})
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(res.Stdout)), nil
}

// Service is what mcpctl uses of a described service (a Knative Service).
type Service struct {
	URL           string
	LatestReady   string
	LatestCreated string
	// Serving is the revision with all traffic, when one has; OnLatest says whether
	// traffic follows the latest revision (false after a rollback pinned it).
	Serving  string
	OnLatest bool
	Env      map[string]string
	Min, Max int
	Timeout  int
}

type knative struct {
	Spec struct {
		Template struct {
			Metadata struct {
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
			Spec struct {
				TimeoutSeconds int `json:"timeoutSeconds"`
				Containers     []struct {
					Env []struct {
						Name  string `json:"name"`
						Value string `json:"value"`
					} `json:"env"`
				} `json:"containers"`
			} `json:"spec"`
		} `json:"template"`
	} `json:"spec"`
	Status struct {
		URL                       string `json:"url"`
		LatestReadyRevisionName   string `json:"latestReadyRevisionName"`
		LatestCreatedRevisionName string `json:"latestCreatedRevisionName"`
		Traffic                   []struct {
			RevisionName   string `json:"revisionName"`
			Percent        int    `json:"percent"`
			LatestRevision bool   `json:"latestRevision"`
		} `json:"traffic"`
	} `json:"status"`
}

// Describe returns the service; ErrServiceNotFound when it does not exist.
func (c *Client) Describe(ctx context.Context) (*Service, error) {
	res, err := c.run(ctx, "service", 0, nil, "run", "services", "describe", c.Service, "--format=json")
	if err != nil {
		return nil, err
	}
	var k knative
	if err := json.Unmarshal(res.Stdout, &k); err != nil || k.Status.URL == "" && k.Status.LatestCreatedRevisionName == "" {
		return nil, &deployers.Error{Step: "service", Err: fmt.Errorf("unexpected output from gcloud run services describe --format=json: %s", deployers.Snippet(res.Stdout))}
	}
	s := &Service{URL: k.Status.URL, LatestReady: k.Status.LatestReadyRevisionName, LatestCreated: k.Status.LatestCreatedRevisionName,
		Env: map[string]string{}, Timeout: k.Spec.Template.Spec.TimeoutSeconds}
	for _, t := range k.Status.Traffic {
		if t.Percent == 100 {
			s.Serving, s.OnLatest = t.RevisionName, t.LatestRevision
		}
	}
	if cs := k.Spec.Template.Spec.Containers; len(cs) > 0 {
		for _, e := range cs[0].Env {
			s.Env[e.Name] = e.Value
		}
	}
	ann := k.Spec.Template.Metadata.Annotations
	s.Min, _ = strconv.Atoi(ann["autoscaling.knative.dev/minScale"])
	s.Max, _ = strconv.Atoi(ann["autoscaling.knative.dev/maxScale"])
	return s, nil
}

// WebURL returns the service's URL (https://SERVICE-HASH.REGION.run.app), always read
// from the platform.
func (c *Client) WebURL(ctx context.Context) (string, error) {
	s, err := c.Describe(ctx)
	if err != nil {
		return "", err
	}
	if s.URL == "" {
		return "", &deployers.Error{Step: "service", Err: errors.New("Cloud Run reported no URL for " + c.Service + " (no revision is ready)")}
	}
	return s.URL, nil
}

// Config returns the env vars of the service's latest revision.
func (c *Client) Config(ctx context.Context) (map[string]string, error) {
	s, err := c.Describe(ctx)
	if err != nil {
		return nil, err
	}
	return s.Env, nil
}

// SetConfig changes env vars (an empty value removes one) in one new revision. Values
// are never secrets: argv is visible in `ps`. A service whose traffic is pinned (after
// a rollback) is refused: the new revision would serve nothing.
func (c *Client) SetConfig(ctx context.Context, vars map[string]string) error {
	s, err := c.Describe(ctx)
	if err != nil {
		return err
	}
	if err := c.checkNotPinned(s); err != nil {
		return err
	}
	args := append([]string{"run", "services", "update", c.Service}, EnvFlags(vars)...)
	_, err = c.run(ctx, "config", 0, nil, append(args, "--quiet")...)
	return err
}

func (c *Client) checkNotPinned(s *Service) error {
	if s.OnLatest || s.Serving == "" {
		return nil
	}
	return &deployers.Error{Step: "config", Err: fmt.Errorf("%w: %s serves all traffic and the latest revision %s none", ErrPinned, s.Serving, s.LatestCreated),
		Fix: "after a rollback, deploy a fix first (mcpctl deploy cloudrun), which routes traffic to the latest revision again; or route it back yourself: gcloud run services update-traffic " + c.Service + " --to-latest"}
}

// EnvFlags renders env changes as --update-env-vars and --remove-env-vars. Values may
// hold commas (key hashes, origins), so the list uses gcloud's ^DELIM^ escape (see
// `gcloud topic escaping`) with a delimiter no value holds.
func EnvFlags(vars map[string]string) []string {
	var set, unset []string
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		if vars[k] == "" {
			unset = append(unset, k)
		} else {
			set = append(set, k+"="+vars[k])
		}
	}
	var flags []string
	if len(set) > 0 {
		flags = append(flags, "--update-env-vars="+joinList(set))
	}
	if len(unset) > 0 {
		flags = append(flags, "--remove-env-vars="+joinList(unset))
	}
	return flags
}

func joinList(items []string) string {
	all := strings.Join(items, "")
	if !strings.Contains(all, ",") {
		return strings.Join(items, ",")
	}
	for _, d := range []string{"|", ";", "@", "#", "~", "|~|"} {
		if !strings.Contains(all, d) {
			return "^" + d + "^" + strings.Join(items, d)
		}
	}
	return "^|~|~|^" + strings.Join(items, "|~|~|")
}

// RouteTo sends all traffic to revision (a rollback).
func (c *Client) RouteTo(ctx context.Context, revision string) error {
	_, err := c.run(ctx, "rollback", 0, nil, "run", "services", "update-traffic", c.Service, "--to-revisions="+revision+"=100", "--quiet")
	return err
}

// RouteToLatest lets traffic follow the latest revision again.
func (c *Client) RouteToLatest(ctx context.Context) error {
	_, err := c.run(ctx, "traffic", 0, nil, "run", "services", "update-traffic", c.Service, "--to-latest", "--quiet")
	return err
}

// Logs returns the service's last n log lines.
func (c *Client) Logs(ctx context.Context, n int) (string, error) {
	res, err := c.run(ctx, "logs", 0, nil, "run", "services", "logs", "read", c.Service, "--limit="+strconv.Itoa(n))
	return string(res.Stdout), err
}

// Scale sets the minimum and maximum number of instances (nil leaves one as it is),
// in one new revision.
func (c *Client) Scale(ctx context.Context, minInstances, maxInstances *int) error {
	s, err := c.Describe(ctx)
	if err != nil {
		return err
	}
	if err := c.checkNotPinned(s); err != nil {
		return err
	}
	args := []string{"run", "services", "update", c.Service}
	if minInstances != nil {
		args = append(args, "--min-instances="+strconv.Itoa(*minInstances))
	}
	if maxInstances != nil {
		args = append(args, "--max-instances="+strconv.Itoa(*maxInstances))
	}
	_, err = c.run(ctx, "scale", 0, nil, append(args, "--quiet")...)
	return err
}

// SourceDeploy is one `gcloud run deploy --source`.
type SourceDeploy struct {
	// Buildable is the package the Go buildpack builds, such as ./cmd/weather.
	Buildable    string
	Env          map[string]string // changes; an empty value removes a variable
	MinInstances int
	MaxInstances int // 0: leave as it is
	Timeout      time.Duration
}

// DeployArgs is the gcloud command line of d, without --region and --project.
func (c *Client) DeployArgs(d SourceDeploy) []string {
	args := []string{"run", "deploy", c.Service, "--source=.",
		"--set-build-env-vars=GOOGLE_BUILDABLE=" + d.Buildable,
		"--allow-unauthenticated",
		"--min-instances=" + strconv.Itoa(d.MinInstances),
	}
	if d.MaxInstances > 0 {
		args = append(args, "--max-instances="+strconv.Itoa(d.MaxInstances))
	}
	args = append(args, "--timeout="+strconv.Itoa(int(d.Timeout/time.Second)))
	args = append(args, EnvFlags(d.Env)...)
	return append(args, "--quiet")
}

// DeploySource builds the project directory with Google's buildpacks and makes a new
// revision; gcloud's progress and the build output go to out.
func (c *Client) DeploySource(ctx context.Context, d SourceDeploy, out io.Writer) error {
	_, err := c.run(ctx, "push", deployers.BuildTimeout, out, c.DeployArgs(d)...)
	return err
}
