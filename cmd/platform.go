package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/deployers/cloudrun"
	"github.com/mcpctl/mcpctl/deployers/heroku"
	"github.com/mcpctl/mcpctl/doctor"
	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/internal/iostreams"
)

// herokuTimeoutEnv overrides the bound of each heroku call (not of a push).
const herokuTimeoutEnv = "MCPCTL_HEROKU_TIMEOUT"

// newHerokuClient is the Heroku client of the commands that change keys: each call is
// bounded, and one that takes a while says so on stderr.
func newHerokuClient(io *iostreams.IOStreams, exec executor.Executor, getenv func(string) string, dir, app string) *heroku.Client {
	c := &heroku.Client{Exec: exec, Dir: dir, AppName: app, Timeout: herokuTimeout(getenv)}
	c.Waiting = func(call string, elapsed time.Duration) {
		fmt.Fprintf(io.ErrOut, "Waiting for `%s` (%s)…\n", call, elapsed)
	}
	return c
}

// gcloudTimeoutEnv overrides the bound of each gcloud call (not of a deploy's build).
const gcloudTimeoutEnv = "MCPCTL_GCLOUD_TIMEOUT"

// herokuTimeout reads MCPCTL_HEROKU_TIMEOUT; zero (the client's default) when unset or
// not a positive duration.
func herokuTimeout(getenv func(string) string) time.Duration {
	return envTimeout(getenv, herokuTimeoutEnv)
}

func envTimeout(getenv func(string) string, name string) time.Duration {
	if getenv == nil {
		return 0
	}
	d, err := time.ParseDuration(getenv(name))
	if err != nil || d <= 0 {
		return 0
	}
	return d
}

// projectPlatform is the platform holding the project's deployed app, as mcpctl.toml
// records it; deployers.ErrNoApp when there is none. Commands go through it, so that
// they work whichever platform the project is deployed to.
func projectPlatform(io *iostreams.IOStreams, exec executor.Executor, getenv func(string) string, dir string, cfg *config.File) (deployers.Platform, error) {
	return platforms(io, exec, getenv, dir).ForProject(cfg)
}

// platforms makes the client of each platform's app for the commands that manage one.
func platforms(io *iostreams.IOStreams, exec executor.Executor, getenv func(string) string, dir string) deployers.Factory {
	return deployers.Factory{
		"heroku": func(t deployers.Target) deployers.Platform {
			return newHerokuClient(io, exec, getenv, dir, t.App)
		},
		"cloudrun": func(t deployers.Target) deployers.Platform {
			return &cloudrun.Client{Exec: exec, Dir: dir, Service: t.App, Region: t.Region, Project: t.Project, Timeout: envTimeout(getenv, gcloudTimeoutEnv)}
		},
	}
}

// deployHint says how to deploy, for hints.
const deployHint = "`mcpctl deploy heroku` or `mcpctl deploy cloudrun`"

// deployedName is the recorded app's name (Heroku app or Cloud Run service), "" when
// the project is not deployed.
func deployedName(cfg *config.File) string {
	if ts := deployers.Targets(cfg); len(ts) > 0 {
		return ts[0].App
	}
	return ""
}

// platformTitle names an app for messages: "the Heroku app x", "the Cloud Run service x".
func platformTitle(p deployers.Platform) string {
	if p.Name() == "cloudrun" {
		return "the Cloud Run service " + p.App()
	}
	return "the Heroku app " + p.App()
}

// cloudRunDeployed reads the recorded Cloud Run service's settings and its /health, for
// doctor's checks of Cloud Run's pitfalls.
func cloudRunDeployed(exec executor.Executor, dir string, r config.CloudRun) func(context.Context) (*doctor.Deployed, error) {
	return func(ctx context.Context) (*doctor.Deployed, error) {
		c := &cloudrun.Client{Exec: exec, Dir: dir, Service: r.Service, Region: r.Region, Project: r.Project, Timeout: 30 * time.Second}
		s, err := c.Describe(ctx)
		if err != nil {
			return nil, err
		}
		d := &doctor.Deployed{Platform: "cloudrun", Name: r.Service, MinInstances: s.Min, MaxInstances: s.Max, RequestTimeout: time.Duration(s.Timeout) * time.Second}
		if s.URL != "" {
			d.Stateless, _ = healthStateless(ctx, s.URL)
		}
		return d, nil
	}
}
