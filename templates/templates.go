// Package templates holds the embedded project template sets that `mcpctl init` renders.
package templates

import (
	"embed"
	"fmt"
	"io/fs"
)

// all: keeps dot-files such as .gitignore, which a plain embed pattern drops.
//
//go:embed all:go
var sets embed.FS

// SDKVersion is the go-sdk version the generated projects pin in their go.mod.
const SDKVersion = "v1.8.0"

// GoVersion is the Go language version the generated projects declare (and pin for the
// Heroku buildpack).
const GoVersion = "1.25"

// Vars are the values a template set is rendered with.
type Vars struct {
	Name      string // project and Heroku app name
	Module    string // Go module path
	Path      string // MCP endpoint path
	Port      int    // local port
	Auth      string // apikey | none
	Stateless bool
	GoVersion string
}

// Set returns the template set called name.
func Set(name string) (fs.FS, error) {
	if name != "go" {
		return nil, fmt.Errorf("no template set %q (there is: go)", name)
	}
	return fs.Sub(sets, name)
}
