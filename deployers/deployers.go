// Package deployers defines what mcpctl needs from a hosting platform, so that key
// rotation, client wiring and deploys work the same whichever platform holds the app.
// Each platform lives in a subpackage (heroku first) and reaches its CLI through the
// executor, so tests can substitute it.
package deployers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/keys"
)

// Platform is a deployed app on a hosting platform.
type Platform interface {
	// Name is the platform's name, such as "heroku".
	Name() string
	// App is the app's name on the platform.
	App() string
	// WebURL returns the app's public base URL, such as https://x-1234.herokuapp.com/.
	WebURL(ctx context.Context) (string, error)
	// Config returns the app's environment (config vars).
	Config(ctx context.Context) (map[string]string, error)
	// SetConfig changes the given variables in one step; the platform restarts the app
	// once. An empty value unsets a variable.
	SetConfig(ctx context.Context, vars map[string]string) error
}

// ErrNoApp means the project has not been deployed: there is no app to talk to.
var ErrNoApp = errors.New("the project has no deployed app")

// Target is an app mcpctl.toml records a deploy to.
type Target struct {
	Platform string // "heroku" or "cloudrun"
	App      string // the Heroku app, or the Cloud Run service
	Region   string
	Project  string // the Google Cloud project (Cloud Run)
}

// Targets returns the apps mcpctl.toml records, in a stable order.
func Targets(cfg *config.File) []Target {
	var ts []Target
	if h := cfg.Deploy.Heroku; h.App != "" {
		ts = append(ts, Target{Platform: "heroku", App: h.App, Region: h.Region})
	}
	if r := cfg.Deploy.CloudRun; r.Service != "" {
		ts = append(ts, Target{Platform: "cloudrun", App: r.Service, Region: r.Region, Project: r.Project})
	}
	return ts
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

// Phase names of a deploy, in order. Progress events carry them.
const (
	PhasePreflight = "preflight"
	PhaseApp       = "app"
	PhaseConfig    = "config"
	PhasePush      = "push"
	PhaseVerify    = "verify"
	PhaseRollback  = "rollback"
)

// Event reports deploy progress: a phase starting (Done false) or finished (Done true),
// or a message within it.
type Event struct {
	Phase   string
	Done    bool
	Message string
}

// VerifyFunc checks a deployed MCP endpoint the way a client would. It returns nil when
// the endpoint works, else an error that says what is wrong.
type VerifyFunc func(ctx context.Context, endpoint string) error

// DesiredConfig is the environment a deployed app must have: the server settings from
// mcpctl.toml and the hashes (never the plaintext) of every key in .env.
func DesiredConfig(project *config.File, env map[string]string) map[string]string {
	want := map[string]string{}
	for _, kv := range project.Env() {
		k, v, _ := strings.Cut(kv, "=")
		want[k] = v
	}
	if project.Server.Auth == config.AuthAPIKey {
		want[keys.HashesEnvVar] = keys.HashList(keys.InEnv(env))
	}
	return want
}

// ConfigChanges returns the variables whose value must change (an empty value unsets).
func ConfigChanges(current, want map[string]string) map[string]string {
	changes := map[string]string{}
	for k, v := range want {
		if cur, ok := current[k]; !ok && v == "" {
			continue
		} else if cur != v {
			changes[k] = v
		}
	}
	return changes
}
