// Package deployers defines what mcpctl needs from a hosting platform, so that key
// rotation, client wiring and deploys work the same whichever platform holds the app.
// Each platform lives in a subpackage (heroku first) and reaches its CLI through the
// executor, so tests can substitute it.
package deployers

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Bounds of platform calls: each call of a platform's CLI, unless the user sets one, and
// a push, which includes the build.
const (
	CallTimeout  = 2 * time.Minute
	BuildTimeout = 30 * time.Minute
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

// Snippet is the start of a CLI's output, for an error that says the output was not
// what mcpctl expected.
func Snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		s = "(nothing)"
	}
	return s
}
