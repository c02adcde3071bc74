package scaffold

import (
	"errors"
	"go/format"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/templates"
)

func TestRenderMissingKeyFails(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{"a.txt.tmpl": {Data: []byte("{{.Nope}}")}}
	if _, err := Render(fsys, struct{ Name string }{"x"}, nil); err == nil {
		t.Fatal("a missing template key rendered")
	}
}

func TestRenderRefusesPathTraversal(t *testing.T) {
	t.Parallel()
	for _, renames := range []map[string]string{
		{"Name": ".."},
		{"Name": "../escape"},
		{"Name": "/abs"},
		{"Name": `..\win`},
	} {
		fsys := fstest.MapFS{"cmd/__Name__/main.go.tmpl": {Data: []byte("package main")}}
		if p, err := Render(fsys, struct{}{}, renames); err == nil {
			t.Errorf("rename %q rendered to %s", renames["Name"], p.Files[0].Path)
		}
	}
	if err := (&Plan{}).Add(File{Path: "../x"}); err == nil {
		t.Error("Add accepted ../x")
	}
}

func TestApplyRefusesNonEmptyDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("mine"), 0o644)
	err := Apply(dir, &Plan{Files: []File{{Path: "new.txt", Mode: 0o644, Data: []byte("x")}}})
	var ne *NotEmptyError
	if !errors.As(err, &ne) || ne.Hint() == "" {
		t.Fatalf("got %v, want NotEmptyError", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "new.txt")); err == nil {
		t.Fatal("wrote into a non-empty directory")
	}
}

func TestApplyRollsBackOnFailure(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	dir := filepath.Join(parent, "proj")
	// The second file cannot be created because the first one is a file where it needs a
	// directory: Apply must remove what it had written, the project directory included.
	plan := &Plan{Files: []File{
		{Path: "a", Mode: 0o644, Data: []byte("x")},
		{Path: "a/b", Mode: 0o644, Data: []byte("y")},
	}}
	if err := Apply(dir, plan); err == nil {
		t.Fatal("no error")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("left %s behind", dir)
	}
}

func TestWriteNewNeverReplaces(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, []byte("mine"), 0o644)
	if err := writeNew(p, []byte("theirs"), 0o644); err == nil {
		t.Fatal("replaced an existing file")
	}
	if data, _ := os.ReadFile(p); string(data) != "mine" {
		t.Fatalf("content changed to %q", data)
	}
	if entries, _ := os.ReadDir(filepath.Dir(p)); len(entries) != 1 {
		t.Fatalf("left temporary files: %d entries", len(entries))
	}
}

// renderedFiles indexes a plan's files by path, failing the test for any Go file that is
// not gofmt-clean and any file with an unrendered template action.
func renderedFiles(t *testing.T, plan *Plan) map[string]File {
	t.Helper()
	files := map[string]File{}
	for _, f := range plan.Files {
		files[f.Path] = f
		if strings.HasSuffix(f.Path, ".go") {
			if formatted, err := format.Source(f.Data); err != nil || string(formatted) != string(f.Data) {
				t.Errorf("%s is not gofmt-clean (%v)", f.Path, err)
			}
		}
		if strings.Contains(string(f.Data), "{{") {
			t.Errorf("%s has an unrendered template action", f.Path)
		}
	}
	return files
}

func TestProjectPlan(t *testing.T) {
	t.Parallel()
	for _, auth := range []string{config.AuthAPIKey, config.AuthNone} {
		t.Run(auth, func(t *testing.T) {
			p := Project{Name: "weather", Module: "github.com/you/weather", Path: "/api/mcp", Port: 9100, Auth: auth, Stateless: true}
			plan, key, err := p.Plan()
			if err != nil {
				t.Fatal(err)
			}
			files := renderedFiles(t, plan)
			for _, want := range []string{"go.mod", "go.sum", "Procfile", "app.json", ".gitignore", "mcpctl.toml", "cmd/weather/main.go", "tools/tools.go", "internal/server/server.go"} {
				if _, ok := files[want]; !ok {
					t.Errorf("plan lacks %s", want)
				}
			}
			if got := string(files["Procfile"].Data); got != "web: bin/weather\n" {
				t.Errorf("Procfile %q", got)
			}
			if !strings.Contains(string(files["go.mod"].Data), "module github.com/you/weather\n") ||
				!strings.Contains(string(files["go.mod"].Data), "// +heroku goVersion go") {
				t.Errorf("go.mod:\n%s", files["go.mod"].Data)
			}
			if !strings.Contains(string(files[".gitignore"].Data), ".env") || !strings.Contains(string(files[".gitignore"].Data), "/bin/") {
				t.Errorf(".gitignore:\n%s", files[".gitignore"].Data)
			}
			cfg, err := config.Parse("mcpctl.toml", files["mcpctl.toml"].Data)
			if err != nil || cfg.Server.Path != "/api/mcp" || cfg.Server.Port != 9100 || cfg.Server.Auth != auth {
				t.Errorf("mcpctl.toml: %v %+v", err, cfg)
			}
			env, hasEnv := files[".env"]
			if auth == config.AuthAPIKey {
				if !hasEnv || env.Mode != 0o600 || !strings.Contains(string(env.Data), "\nMCP_API_KEY="+key+"\n") {
					t.Errorf(".env planned as %+v", env)
				}
			} else if hasEnv || key != "" {
				t.Error("auth none got a key")
			}
		})
	}
}

func TestProjectValidate(t *testing.T) {
	t.Parallel()
	ok := Project{Name: "weather", Module: "weather", Path: "/mcp", Port: 8000, Auth: "apikey"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*Project){
		"name":                 func(p *Project) { p.Name = "W" },
		"module":               func(p *Project) { p.Module = "a b" },
		"path":                 func(p *Project) { p.Path = "mcp" },
		"port":                 func(p *Project) { p.Port = 0 },
		"oauth without issuer": func(p *Project) { p.Auth = "oauth" },
		"oauth over http":      func(p *Project) { p.Auth, p.Issuer = "oauth", "http://auth.example.com/" },
		"oauth audience is host": func(p *Project) {
			p.Auth, p.Issuer, p.Audience = "oauth", "https://a.example.com/", "https://weather.example.com"
		},
		"oauth bad scope":    func(p *Project) { p.Auth, p.Issuer, p.Scopes = "oauth", "https://a.example.com/", []string{`a"b`} },
		"issuer with apikey": func(p *Project) { p.Issuer = "https://a.example.com/" },
		"auth":               func(p *Project) { p.Auth = "basic" },
	} {
		p := ok
		mutate(&p)
		if err := p.Validate(); err == nil {
			t.Errorf("%s: invalid project accepted", name)
		}
	}
}

func TestProjectPlanOAuth(t *testing.T) {
	t.Parallel()
	for _, audience := range []string{"", "https://weather.example.com/tools/api/mcp"} {
		t.Run("audience="+audience, func(t *testing.T) {
			p := Project{Name: "weather", Module: "github.com/you/weather", Path: "/api/mcp", Port: 9100, Auth: config.AuthOAuth, Stateless: true,
				Issuer: "https://id.example.com/realms/main", Audience: audience, Scopes: []string{"mcp:tools", "weather:read"}}
			plan, key, err := p.Plan()
			if err != nil {
				t.Fatal(err)
			}
			if key != "" {
				t.Error("an OAuth project got an API key")
			}
			files := renderedFiles(t, plan)
			for _, want := range templates.AuthOnlyFiles() {
				if _, ok := files[want]; !ok {
					t.Errorf("plan lacks %s", want)
				}
			}
			if !strings.Contains(string(files["go.mod"].Data), "github.com/lestrrat-go/jwx/v3 ") || !strings.Contains(string(files["go.sum"].Data), "github.com/lestrrat-go/jwx/v3 ") {
				t.Error("go.mod or go.sum lacks the JWT library")
			}
			cfg, err := config.Parse("mcpctl.toml", files["mcpctl.toml"].Data)
			if err != nil {
				t.Fatal(err)
			}
			o := cfg.Server.OAuth
			if cfg.Server.Auth != "oauth" || o.Issuer != p.Issuer || o.ResourceURL != audience || strings.Join(o.Scopes, " ") != "mcp:tools weather:read" || o.JWKSURL != "" {
				t.Errorf("mcpctl.toml: %+v", cfg.Server)
			}
			main := string(files["cmd/weather/main.go"].Data)
			if !strings.Contains(main, `Issuer:      "https://id.example.com/realms/main",`) || !strings.Contains(main, `[]string{"mcp:tools", "weather:read"}`) {
				t.Errorf("main.go defaults:\n%s", main)
			}
			env, hasEnv := files[".env"]
			if audience == "" {
				if !hasEnv || env.Mode != 0o600 || string(env.Data) == "" || !strings.Contains(string(env.Data), "\nMCP_RESOURCE_URL=http://127.0.0.1:9100/api/mcp\n") {
					t.Errorf(".env planned as %+v", env)
				}
			} else if hasEnv {
				t.Errorf("the public URL is in mcpctl.toml, yet .env is planned: %s", env.Data)
			}
		})
	}
}

// Files only OAuth projects get are left out of the others, and every one of them exists
// in the template set.
func TestAuthOnlyFiles(t *testing.T) {
	t.Parallel()
	set, err := templates.Set("go")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range templates.AuthOnlyFiles() {
		if _, err := fs.Stat(set, p+TemplateSuffix); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	plan, _, err := Project{Name: "weather", Module: "weather", Path: "/mcp", Port: 8000, Auth: config.AuthAPIKey}.Plan()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range plan.Files {
		if slices.Contains(templates.AuthOnlyFiles(), f.Path) || strings.Contains(string(f.Data), "jwx") {
			t.Errorf("an apikey project got %s, or a JWT dependency in it", f.Path)
		}
	}
}
