// Package templates holds the embedded project template sets that `mcpctl init` renders.
package templates

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
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
	Auth      string // apikey | oauth | none
	Stateless bool
	GoVersion string

	// OAuth settings, used when Auth is oauth.
	OAuthIssuer      string   // identity provider's issuer URL
	OAuthResourceURL string   // public URL of the MCP endpoint; empty: set per environment
	OAuthScopes      []string // scopes every token must carry
}

// authOnly lists the rendered files that only projects with that auth mode get: the OAuth
// resource server needs a JWT library, which the other modes should not carry.
var authOnly = map[string]string{
	"internal/server/oauth.go":      "oauth",
	"internal/server/oauth_keys.go": "oauth",
	"internal/server/oauth_test.go": "oauth",
	"tools/whoami.go":               "oauth",
	"tools/whoami_test.go":          "oauth",
}

// Wanted reports whether the rendered file at path (slash-separated, relative to the
// project root) belongs in a project rendered with v.
func (v Vars) Wanted(path string) bool {
	auth, ok := authOnly[path]
	return !ok || auth == v.Auth
}

// AuthOnlyFiles returns the rendered paths that only some auth modes get, sorted.
func AuthOnlyFiles() []string {
	var paths []string
	for p := range authOnly {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths
}

// Set returns the template set called name.
func Set(name string) (fs.FS, error) {
	if name != "go" {
		return nil, fmt.Errorf("no template set %q (there is: go)", name)
	}
	return fs.Sub(sets, name)
}

//go:embed tool
var toolSets embed.FS

// ToolKinds are the kinds of tool `mcpctl add tool` writes, the default first.
func ToolKinds() []string { return []string{"basic", "http", "progress"} }

// Tool returns the templates of one tool kind: the tool's file and its test.
func Tool(kind string) (code, test string, err error) {
	if !slices.Contains(ToolKinds(), kind) {
		return "", "", fmt.Errorf("no tool kind %q (there is: basic, http, progress)", kind)
	}
	c, err := toolSets.ReadFile("tool/" + kind + ".go.tmpl")
	if err != nil {
		return "", "", err
	}
	t, err := toolSets.ReadFile("tool/" + kind + "_test.go.tmpl")
	if err != nil {
		return "", "", err
	}
	return string(c), string(t), nil
}
