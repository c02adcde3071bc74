package serverenv

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/keys"
)

func TestURLs(t *testing.T) {
	if got := LocalURL(8123, "/mcp"); got != "http://127.0.0.1:8123/mcp" {
		t.Errorf("LocalURL = %s", got)
	}
	for _, base := range []string{"https://a.herokuapp.com/", "https://a.herokuapp.com"} {
		if got := EndpointURL(base, "/x/mcp"); got != "https://a.herokuapp.com/x/mcp" {
			t.Errorf("EndpointURL(%s) = %s", base, got)
		}
	}
}

func TestLocalEnvResourceFollowsThePortServed(t *testing.T) {
	cfg := config.Default("demo")
	cfg.Server.Auth = config.AuthOAuth
	cfg.Server.OAuth.Issuer = "https://auth.example.com/"
	for _, tc := range []struct {
		name, dotenv, toml, want string
	}{
		{"no value", "", "", "http://127.0.0.1:9001/mcp"},
		{"init's local URL", "http://127.0.0.1:8000/mcp", "", "http://127.0.0.1:9001/mcp"},
		{"init's URL as localhost", "http://localhost:8000/mcp", "", "http://127.0.0.1:9001/mcp"},
		{"a tunnel", "https://demo.ngrok.app/mcp", "", "https://demo.ngrok.app/mcp"},
		{"another local port on purpose", "http://127.0.0.1:7000/mcp", "", "http://127.0.0.1:7000/mcp"},
		{"public URL in mcpctl.toml", "", "https://demo.example.com/mcp", "https://demo.example.com/mcp"},
		{".env over mcpctl.toml", "https://demo.ngrok.app/mcp", "https://demo.example.com/mcp", "https://demo.ngrok.app/mcp"},
	} {
		c := *cfg
		c.Server.OAuth.ResourceURL = tc.toml
		vars := map[string]string{}
		if tc.dotenv != "" {
			vars[VarResourceURL] = tc.dotenv
		}
		env := LocalEnv(&c, vars, 9001, nil)
		if got := last(env, VarResourceURL); got != tc.want {
			t.Errorf("%s: %s = %q, want %q (env %v)", tc.name, VarResourceURL, got, tc.want, env)
		}
	}
}

func TestLocalEnvKeysFollowKeyOrder(t *testing.T) {
	cfg := config.Default("demo")
	fromEnv, shell := mustKey(t), mustKey(t)
	vars := map[string]string{VarAPIKey: fromEnv, "OTHER": "1"}
	env := LocalEnv(cfg, vars, 8000, func(k string) string {
		if k == VarAPIKey {
			return shell
		}
		return ""
	})
	if slices.Contains(env, VarAPIKey+"="+fromEnv) {
		t.Errorf(".env's key overrides the shell's: %v", env)
	}
	if got := last(env, VarKeyHashes); got != keys.HashList([]string{fromEnv}) {
		t.Errorf("hashes %q: .env's key must keep working", got)
	}
	if !slices.Contains(env, "OTHER=1") {
		t.Errorf("other .env variables lost: %v", env)
	}
	env = LocalEnv(cfg, vars, 8000, nil)
	if got := last(env, VarAPIKey); got != fromEnv {
		t.Errorf("without a shell key, MCP_API_KEY = %q", got)
	}
}

func TestResolveKeyOrder(t *testing.T) {
	dir := t.TempDir()
	dotenv := filepath.Join(dir, ".env")
	os.WriteFile(dotenv, []byte("MCP_API_KEY=from-dotenv\n"), 0o600)
	other := filepath.Join(dir, "other.env")
	os.WriteFile(other, []byte("MCP_API_KEY=from-flag-file\n"), 0o600)
	shell := func(k string) string {
		if k == "MCP_API_KEY" {
			return "from-shell"
		}
		return ""
	}
	for _, tc := range []struct {
		name       string
		req        KeyRequest
		val, where string
	}{
		{"flag", KeyRequest{Flag: "from-flag", FlagName: "--token", Getenv: shell, EnvFile: dotenv}, "from-flag", "--token"},
		{"flag file", KeyRequest{FlagFile: other, Getenv: shell, EnvFile: dotenv}, "from-flag-file", "MCP_API_KEY in " + other},
		{"shell over .env", KeyRequest{Getenv: shell, EnvFile: dotenv}, "from-shell", "MCP_API_KEY from the shell's environment"},
		{".env", KeyRequest{EnvFile: dotenv}, "from-dotenv", "MCP_API_KEY in " + dotenv},
		{"none", KeyRequest{EnvFile: filepath.Join(dir, "absent")}, "", ""},
	} {
		tc.req.Var = "MCP_API_KEY"
		k, err := ResolveKey(tc.req)
		if err != nil || k.Value != tc.val || k.Source != tc.where {
			t.Errorf("%s: %+v %v", tc.name, k, err)
		}
	}
	if _, err := ResolveKey(KeyRequest{Var: "MCP_API_KEY", FlagFile: filepath.Join(dir, "missing.env")}); err == nil {
		t.Error("a missing --env-file was ignored")
	}
	k, _ := ResolveKey(KeyRequest{Var: "MCP_API_KEY", EnvFile: filepath.Join(dir, "absent")})
	msg := (&NotFoundError{Var: "MCP_API_KEY", Looked: k.Looked})
	if !strings.Contains(msg.Error(), "shell's environment") || !strings.Contains(msg.Hint(), `export MCP_API_KEY="$(sed -n 's/^MCP_API_KEY=//p' .env)"`) {
		t.Errorf("%v / %s", msg, msg.Hint())
	}
}

func TestExportCommandQuotes(t *testing.T) {
	if got := ExportCommand("K", "/my dir/.env"); got != `export K="$(sed -n 's/^K=//p' '/my dir/.env')"` {
		t.Errorf("ExportCommand = %s", got)
	}
}

func TestSupportsAuth(t *testing.T) {
	dir := t.TempDir()
	if err := SupportsAuth(dir, config.AuthOAuth); err != nil {
		t.Errorf("code mcpctl did not generate: %v", err)
	}
	os.MkdirAll(filepath.Join(dir, "internal", "server"), 0o755)
	os.WriteFile(filepath.Join(dir, generatedConfigFile), nil, 0o644)
	if err := SupportsAuth(dir, config.AuthOAuth); err == nil {
		t.Error("an API-key project accepted oauth")
	}
	if err := SupportsAuth(dir, config.AuthAPIKey); err != nil {
		t.Error(err)
	}
	os.WriteFile(filepath.Join(dir, generatedOAuthFile), nil, 0o644)
	if err := SupportsAuth(dir, config.AuthOAuth); err != nil {
		t.Error(err)
	}
}

func mustKey(t *testing.T) string {
	k, err := keys.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func last(env []string, name string) string {
	v := ""
	for _, kv := range env {
		if k, val, _ := strings.Cut(kv, "="); k == name {
			v = val
		}
	}
	return v
}
