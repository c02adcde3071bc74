package serverenv

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/templates"
)

// The generated server reads exactly ServerVars (besides PORT and Go's own), and every
// variable mcpctl.toml turns into (config.File.Env) is one of them.
func TestServerVarsMatchTheGeneratedServer(t *testing.T) {
	set, err := templates.Set("go")
	if err != nil {
		t.Fatal(err)
	}
	read := map[string]bool{}
	// A name passed to any reader (getenv, duration, …) as its first argument.
	getenv := regexp.MustCompile(`\("(MCP_[A-Z_]+)"`)
	err = fs.WalkDir(set, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go.tmpl") || strings.HasSuffix(p, "_test.go.tmpl") {
			return err
		}
		data, err := fs.ReadFile(set, p)
		for _, m := range getenv.FindAllStringSubmatch(string(data), -1) {
			read[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range ServerVars {
		if !read[v] {
			t.Errorf("the generated server does not read %s", v)
		}
	}
	for v := range read {
		if !slices.Contains(ServerVars, v) {
			t.Errorf("the generated server reads %s, which ServerVars does not list", v)
		}
	}
	cfg := config.Default("demo")
	cfg.Server.Auth = config.AuthOAuth
	cfg.Server.OAuth = config.OAuth{Issuer: "https://a.example.com/", ResourceURL: "https://b.example.com/mcp", Scopes: []string{"s"}, JWKSURL: "https://a.example.com/jwks"}
	for _, kv := range cfg.Env() {
		if name, _, _ := strings.Cut(kv, "="); !slices.Contains(ServerVars, name) {
			t.Errorf("mcpctl.toml becomes %s, which the server does not read", name)
		}
	}
}
