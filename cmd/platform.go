package cmd

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/deployers"
)

// platforms is the registry of the platforms mcpctl deploys to, one line each; the
// constructor lives in that platform's deploy_<name>.go. Commands other than deploy reach
// a project's app only through it (deployers.Factory.ForProject), never by name.
func (f *Factory) platforms(dir string) deployers.Factory {
	return deployers.Factory{
		"heroku": func(t deployers.Target) deployers.Platform { return newHerokuClient(f, dir, t.App) },
	}
}

// deployCommand is the command that deploys, for hints: `mcpctl deploy heroku`.
func (f *Factory) deployCommand() string {
	return "mcpctl deploy " + strings.Join(slices.Sorted(maps.Keys(f.platforms(""))), "|")
}

// deployedURL returns the base URL of the project's deployed app (the platform's, never
// built from the app name).
func (f *Factory) deployedURL(ctx context.Context, dir string, cfg *config.File) (string, error) {
	p, err := f.platforms(dir).ForProject(cfg)
	if err != nil {
		return "", err
	}
	return p.WebURL(ctx)
}

// deployedApp is the app mcpctl.toml records a deploy to, "" when none.
func deployedApp(project *config.File) string {
	if ts := deployers.Targets(project); len(ts) > 0 {
		return ts[0].App
	}
	return ""
}
