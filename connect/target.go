package connect

import (
	"context"
	"errors"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/serverenv"
)

// Target says which server an entry points at.
type Target struct {
	// Choice is local, deployed or a URL; empty: deployed once the project records a
	// deployed app (and Port is not set), else local.
	Choice  string
	Project *config.File // nil outside a project: only a URL works then
	// Port is the port `mcpctl dev --port` serves; 0: mcpctl.toml's.
	Port int
	// Deployed reports that mcpctl.toml records a deployed app; DeployedURL returns its
	// base URL (nil: it cannot be looked up). Deploy says how to deploy, for hints:
	// "`mcpctl deploy heroku`".
	Deployed    bool
	DeployedURL func(ctx context.Context) (string, error)
	Deploy      string
}

// HintError is an error with the next step to take.
type HintError struct {
	Err error
	Fix string
}

func (e *HintError) Error() string { return e.Err.Error() }
func (e *HintError) Unwrap() error { return e.Err }

// Hint is the next step to take.
func (e *HintError) Hint() string { return e.Fix }

// ErrNoProject: a local or deployed target needs a project.
var ErrNoProject = errors.New("outside a project there is no local server; pass --target URL")

// URL resolves t into the server's MCP URL.
func (t Target) URL(ctx context.Context) (string, error) {
	choice := t.Choice
	if choice == "" {
		choice = "local"
		if t.Project != nil && t.Deployed && t.Port == 0 {
			choice = "deployed"
		}
	}
	switch choice {
	case "local":
		if t.Project == nil {
			return "", ErrNoProject
		}
		return serverenv.LocalURL(t.LocalPort(), t.Project.Server.Path), nil
	case "deployed":
		if t.Project == nil || !t.Deployed {
			return "", &HintError{Err: errors.New("the project is not deployed yet"),
				Fix: "deploy it with " + t.Deploy + ", or connect the local server with --target local"}
		}
		if t.DeployedURL == nil {
			return "", &HintError{Err: errors.New("this build of mcpctl cannot look up the deployed URL"),
				Fix: "pass it: --target https://<app>.herokuapp.com" + t.Project.Server.Path}
		}
		base, err := t.DeployedURL(ctx)
		if err != nil {
			return "", err
		}
		return serverenv.EndpointURL(base, t.Project.Server.Path), nil
	}
	return choice, nil
}

// LocalPort is the port the local server is served on: Port, else mcpctl.toml's.
func (t Target) LocalPort() int {
	if t.Port != 0 || t.Project == nil {
		return t.Port
	}
	return t.Project.Server.Port
}
