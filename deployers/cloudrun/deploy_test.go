package cloudrun

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/internal/executor"
)

// platform answers gcloud from a script and runs git for real.
type platform struct {
	executor.System
	calls    []string
	describe []string // successive describe outputs; "" is "Cannot find service"
}

func (p *platform) LookPath(name string) (string, error) {
	if name == "gcloud" {
		return "/usr/bin/gcloud", nil
	}
	return exec.LookPath(name)
}

func (p *platform) Run(ctx context.Context, cmd executor.Cmd) (executor.Result, error) {
	if cmd.Name != "gcloud" {
		return p.System.Run(ctx, cmd)
	}
	line := strings.Join(cmd.Args, " ")
	p.calls = append(p.calls, line)
	switch {
	case strings.HasPrefix(line, "auth list"):
		return executor.Result{Stdout: []byte(`[{"account":"dev@example.com","status":"ACTIVE"}]`)}, nil
	case strings.HasPrefix(line, "run services describe"):
		out := p.describe[0]
		if len(p.describe) > 1 {
			p.describe = p.describe[1:]
		}
		if out == "" {
			return executor.Result{}, &executor.ExitError{Cmd: cmd, ExitCode: 1, Stderr: []byte("ERROR: (gcloud.run.services.describe) Cannot find service [weather]")}
		}
		return executor.Result{Stdout: []byte(out)}, nil
	}
	return executor.Result{}, nil
}

// deploy runs the pipeline on c, with c's executor for git.
func deploy(c *Client, opts deployers.DeployOptions) (*deployers.DeployResult, error) {
	opts.Exec, opts.Dir = c.Exec, c.Dir
	return deployers.Deploy(context.Background(), c, opts)
}

func gitRepo(t *testing.T) string {
	dir := t.TempDir()
	// An identity of the repository's own: the deploy commits what it records.
	for _, args := range [][]string{{"init", "-q"}, {"config", "user.name", "t"}, {"config", "user.email", "t@t"}, {"commit", "-q", "--allow-empty", "-m", "first"}} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

const serving = `{"status":{"url":"https://weather-abc123-uc.a.run.app","latestReadyRevisionName":"weather-00001-abc","latestCreatedRevisionName":"weather-00001-abc","traffic":[{"revisionName":"weather-00001-abc","percent":100,"latestRevision":true}]}}`

// An OAuth server's tokens are bound to its public URL, which Cloud Run gives a new
// service only when it exists: the deploy sets MCP_RESOURCE_URL right after, and an OAuth
// service gets no key hashes.
func TestNewOAuthServiceGetsItsResourceURL(t *testing.T) {
	p := &platform{describe: []string{"", serving}}
	c := &Client{Exec: p, Dir: gitRepo(t), MinInstances: 1}
	f := config.Default("weather")
	f.Server.Auth = config.AuthOAuth
	f.Server.OAuth.Issuer = "https://auth.example.com/"
	res, err := deploy(c, deployers.DeployOptions{Project: f, Region: "us-central1", PlatformProject: "acme-prod"})
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(p.calls, "\n")
	if !strings.Contains(all, "run deploy weather --source=.") || !strings.Contains(all, "MCP_OAUTH_ISSUER=https://auth.example.com/") {
		t.Errorf("no deploy with the issuer:\n%s", all)
	}
	if strings.Contains(all, "MCP_API_KEY_HASHES") {
		t.Errorf("an OAuth service got key hashes:\n%s", all)
	}
	if !strings.Contains(all, "run services update weather --update-env-vars=MCP_RESOURCE_URL=https://weather-abc123-uc.a.run.app/mcp") {
		t.Errorf("MCP_RESOURCE_URL not set to the service's endpoint:\n%s", all)
	}
	if !res.Created || res.Endpoint != "https://weather-abc123-uc.a.run.app/mcp" || res.Release.ID != "weather-00001-abc" {
		t.Errorf("result %+v", res)
	}
}

// A deploy after a rollback (traffic pinned to the old revision) routes traffic to the
// new one: gcloud run deploy alone would leave it serving nothing.
func TestDeployAfterRollbackRoutesToLatest(t *testing.T) {
	pinned := strings.Replace(serving, `"percent":100,"latestRevision":true`, `"percent":100`, 1)
	p := &platform{describe: []string{pinned, pinned, serving}}
	c := &Client{Exec: p, Dir: gitRepo(t), MinInstances: 1}
	f := config.Default("weather")
	f.Server.Auth = config.AuthNone
	if _, err := deploy(c, deployers.DeployOptions{Project: f, Region: "us-central1", PlatformProject: "acme-prod"}); err != nil {
		t.Fatal(err)
	}
	if all := strings.Join(p.calls, "\n"); !strings.Contains(all, "run services update-traffic weather --to-latest") {
		t.Errorf("traffic not routed to the new revision:\n%s", all)
	}
}
