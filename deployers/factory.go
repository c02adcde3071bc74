package deployers

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/mcpctl/mcpctl/config"
)

// Target is an app mcpctl.toml records a deploy to.
type Target struct {
	Platform string // a platform's Name, such as "heroku"
	Title    string // how messages name the platform: "Heroku"
	App      string // the Heroku app, or the Cloud Run service
	Region   string
	Project  string // the Google Cloud project (Cloud Run)
	// Table and Key say where mcpctl.toml records the app: [deploy.heroku] app.
	Table, Key string
}

// tables returns each platform's [deploy.<platform>] table, its app "" until a deploy
// records one.
func tables(cfg *config.File) []Target {
	h, r := cfg.Deploy.Heroku, cfg.Deploy.CloudRun
	return []Target{
		{Platform: "heroku", Title: "Heroku", App: h.App, Region: h.Region, Table: "deploy.heroku", Key: "app"},
		{Platform: "cloudrun", Title: "Cloud Run", App: r.Service, Region: r.Region, Project: r.Project, Table: "deploy.cloudrun", Key: "service"},
	}
}

// Targets returns the apps mcpctl.toml records, in a stable order.
func Targets(cfg *config.File) []Target {
	var ts []Target
	for _, t := range tables(cfg) {
		if t.App != "" {
			ts = append(ts, t)
		}
	}
	return ts
}

// Recorded is what mcpctl.toml records for the platform called name: its app ("" when
// none yet) and region.
func Recorded(cfg *config.File, name string) Target {
	for _, t := range tables(cfg) {
		if t.Platform == name {
			return t
		}
	}
	return Target{Platform: name}
}

// Given is the target a command acts on: what it was given (app, region, the
// platform's project), else what mcpctl.toml records; the app, else the project's name.
func Given(cfg *config.File, platform, app, region, project string) Target {
	t := Recorded(cfg, platform)
	t.App = cmp.Or(app, t.App, cfg.Project.Name)
	t.Region = cmp.Or(region, t.Region)
	t.Project = cmp.Or(project, t.Project)
	return t
}

// Factory makes the client of a recorded app: one constructor per platform name. The
// commands build it, so that keys, connect and check never name a platform.
type Factory map[string]func(Target) Platform

// ForProject returns the platform holding the project's deployed app, ErrNoApp when
// mcpctl.toml records none.
func (f Factory) ForProject(cfg *config.File) (Platform, error) {
	ts := Targets(cfg)
	switch len(ts) {
	case 0:
		return nil, ErrNoApp
	case 1:
	default:
		var names []string
		for _, t := range ts {
			names = append(names, "[deploy."+t.Platform+"] "+t.App)
		}
		return nil, fmt.Errorf("%s records more than one deployed app (%s): remove the table of the one you no longer use", config.FileName, strings.Join(names, ", "))
	}
	mk, ok := f[ts[0].Platform]
	if !ok {
		return nil, fmt.Errorf("mcpctl cannot manage %s apps here", ts[0].Platform)
	}
	return mk(ts[0]), nil
}
