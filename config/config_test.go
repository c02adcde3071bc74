package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseFullFile(t *testing.T) {
	t.Parallel()
	f, err := Parse("mcpctl.toml", []byte(`
[project]
name = "weather"

[server]
path = "/api/mcp"
port = 9000
auth = "none"
stateless = false
allowed_origins = ["https://app.example.com", "http://localhost:5173"]

[deploy.heroku]
app = "weather-prod"
region = "eu"
`))
	if err != nil {
		t.Fatal(err)
	}
	want := File{
		Project: Project{Name: "weather"},
		Server:  Server{Path: "/api/mcp", Port: 9000, Auth: "none", Stateless: false, AllowedOrigins: []string{"https://app.example.com", "http://localhost:5173"}},
		Deploy:  Deploy{Heroku: Heroku{App: "weather-prod", Region: "eu"}},
	}
	if f.Project != want.Project || f.Server.Path != want.Server.Path || f.Server.Port != want.Server.Port ||
		f.Server.Auth != want.Server.Auth || f.Server.Stateless || len(f.Server.AllowedOrigins) != 2 || f.Deploy != want.Deploy {
		t.Fatalf("got %+v\nwant %+v", f, want)
	}
}

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	f, err := Parse("mcpctl.toml", []byte("[project]\nname = \"weather\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Server.Path != "/mcp" || f.Server.Port != 8000 || f.Server.Auth != "apikey" || !f.Server.Stateless || f.Deploy.Heroku.Region != "us" {
		t.Fatalf("defaults not applied: %+v", f)
	}
	if f.Server.StreamFirstByte.Duration != time.Second || f.Server.StreamKeepAlive.Duration != 15*time.Second || f.Server.DrainTimeout.Duration != 25*time.Second {
		t.Fatalf("time defaults not applied: %+v", f.Server)
	}
}

func TestStreamSettingsReachTheServer(t *testing.T) {
	t.Parallel()
	f, err := Parse("mcpctl.toml", []byte("[project]\nname = \"weather\"\n[server]\nstream_first_byte = \"0s\"\nstream_keepalive = \"500ms\"\ndrain_timeout = \"10s\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(f.Env(), " ")
	for _, w := range []string{"MCP_STREAM_FIRST_BYTE=0s", "MCP_STREAM_KEEPALIVE=500ms", "MCP_DRAIN_TIMEOUT=10s"} {
		if !strings.Contains(got, w) {
			t.Errorf("Env() = %s, lacks %s", got, w)
		}
	}
}

func TestStatelessFalseOverridesDefault(t *testing.T) {
	t.Parallel()
	f, err := Parse("mcpctl.toml", []byte("[project]\nname = \"weather\"\n[server]\nstateless = false\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Server.Stateless {
		t.Fatal("stateless = false was read as true")
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, toml string
		want       []string // substrings of the error
	}{
		{"unknown key", "[project]\nname = \"weather\"\n[server]\nprot = 80\n", []string{"line 4", "server.prot", "unknown key"}},
		{"unknown table", "[project]\nname = \"weather\"\n[deploy.fly]\napp = \"x\"\n", []string{"deploy.fly.app", "unknown key"}},
		{"wrong type", "[project]\nname = \"weather\"\n[server]\nport = \"8000\"\n", []string{"server.port"}},
		{"syntax", "[project]\nname = \"x\"\nport 80\n", []string{"line 3"}},
		{"missing name", "[server]\nport = 80\n", []string{"project.name", "required"}},
		{"bad name", "[project]\nname = \"My_Server\"\n", []string{"line 2", "project.name"}},
		{"path without slash", "[project]\nname = \"weather\"\n[server]\npath = \"mcp\"\n", []string{"line 4", "server.path", "must start with /"}},
		{"port range", "[project]\nname = \"weather\"\n[server]\nport = 70000\n", []string{"server.port", "1-65535"}},
		{"port zero", "[project]\nname = \"weather\"\n[server]\nport = 0\n", []string{"server.port"}},
		{"auth", "[project]\nname = \"weather\"\n[server]\nauth = \"basic\"\n", []string{"server.auth", "apikey, oauth, none"}},
		{"wildcard origin", "[project]\nname = \"weather\"\n[server]\nallowed_origins = [\"*\"]\n", []string{"server.allowed_origins", "wildcards"}},
		{"origin with path", "[project]\nname = \"weather\"\n[server]\nallowed_origins = [\"https://a.example.com/app\"]\n", []string{"not an origin"}},
		{"origins not a list", "[project]\nname = \"weather\"\n[server]\nallowed_origins = \"https://a.example.com\"\n", []string{"allowed_origins"}},
		{"stateless not bool", "[project]\nname = \"weather\"\n[server]\nstateless = \"yes\"\n", []string{"stateless"}},
		{"first byte past Heroku's window", "[project]\nname = \"weather\"\n[server]\nstream_first_byte = \"30s\"\n", []string{"line 4", "server.stream_first_byte", "first-byte window"}},
		{"keep-alive not a duration", "[project]\nname = \"weather\"\n[server]\nstream_keepalive = \"often\"\n", []string{"stream_keepalive", "not a duration"}},
		{"keep-alive past the idle window", "[project]\nname = \"weather\"\n[server]\nstream_keepalive = \"1m\"\n", []string{"server.stream_keepalive", "idle window"}},
		{"drain past the kill", "[project]\nname = \"weather\"\n[server]\ndrain_timeout = \"30s\"\n", []string{"server.drain_timeout", "kills"}},
		{"drain zero", "[project]\nname = \"weather\"\n[server]\ndrain_timeout = \"0s\"\n", []string{"server.drain_timeout"}},
		{"region", "[project]\nname = \"weather\"\n[deploy.heroku]\nregion = \"asia\"\n", []string{"deploy.heroku.region"}},
		{"app name", "[project]\nname = \"weather\"\n[deploy.heroku]\napp = \"Bad App\"\n", []string{"deploy.heroku.app"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("mcpctl.toml", []byte(tc.toml))
			if err == nil {
				t.Fatal("no error")
			}
			var cfgErr *Error
			if !errors.As(err, &cfgErr) {
				t.Fatalf("error %T, want *config.Error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := Parse("mcpctl.toml", []byte("[project]\nname = \"X\"\n[server]\nport = -1\nauth = \"x\"\n"))
	var cfgErr *Error
	if !errors.As(err, &cfgErr) || len(cfgErr.Problems) != 3 {
		t.Fatalf("got %v, want 3 problems", err)
	}
}

func TestCheckName(t *testing.T) {
	t.Parallel()
	for name, ok := range map[string]bool{
		"abc": true, "weather-server": true, "a1-b2": true, strings.Repeat("a", 30): true,
		"ab": false, strings.Repeat("a", 31): false, "1abc": false, "-abc": false, "abc-": false,
		"Abc": false, "ab_c": false, "ab.c": false, "": false, "ab c": false,
	} {
		if err := CheckName(name); (err == nil) != ok {
			t.Errorf("CheckName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

func TestCheckPath(t *testing.T) {
	t.Parallel()
	for p, ok := range map[string]bool{
		"/mcp": true, "/api/mcp": true, "/v1/mcp-server": true,
		"mcp": false, "/": false, "/mcp/": false, "/a b": false, "/health": false, "/.well-known/x": false, "//mcp": false, "/mcp?x=1": false,
	} {
		if err := CheckPath(p); (err == nil) != ok {
			t.Errorf("CheckPath(%q) = %v, want ok=%v", p, err, ok)
		}
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, err := Load(dir)
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.Hint() == "" {
		t.Fatalf("missing file: %v", err)
	}
	os.WriteFile(filepath.Join(dir, FileName), []byte("[project]\nname = \"weather\"\n"), 0o644)
	f, err := Load(dir)
	if err != nil || f.Project.Name != "weather" {
		t.Fatalf("Load: %v %+v", err, f)
	}
}

func TestEnv(t *testing.T) {
	t.Parallel()
	f := Default("weather")
	f.Server.Stateless = false
	f.Server.AllowedOrigins = []string{"https://a.example.com", "https://b.example.com"}
	got := strings.Join(f.Env(), " ")
	for _, w := range []string{"MCP_PATH=/mcp", "MCP_AUTH=apikey", "MCP_STATELESS=false", "MCP_ALLOWED_ORIGINS=https://a.example.com,https://b.example.com"} {
		if !strings.Contains(got, w) {
			t.Errorf("Env() = %s, lacks %s", got, w)
		}
	}
}

// The documented example must stay a valid project file with every key in it.
func TestExampleFileIsValidAndComplete(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../mcpctl.toml.example")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse("mcpctl.toml.example", data); err != nil {
		t.Fatal(err)
	}
	lines := keyLines(data)
	for _, k := range []string{"project.name", "server.path", "server.port", "server.auth", "server.stateless", "server.allowed_origins",
		"server.stream_first_byte", "server.stream_keepalive", "server.drain_timeout",
		"server.oauth.issuer", "server.oauth.resource_url", "server.oauth.scopes", "server.oauth.jwks_url", "deploy.heroku.app", "deploy.heroku.region"} {
		if lines[k] == 0 {
			t.Errorf("mcpctl.toml.example does not document %s", k)
		}
	}
}

func TestParseOAuth(t *testing.T) {
	t.Parallel()
	f, err := Parse("mcpctl.toml", []byte(`
[project]
name = "weather"

[server]
path = "/mcp"
auth = "oauth"

[server.oauth]
issuer = "https://example.us.auth0.com/"
resource_url = "https://weather.example.com/mcp"
scopes = ["mcp:tools", "weather:read"]
jwks_url = "https://example.us.auth0.com/.well-known/jwks.json"
`))
	if err != nil {
		t.Fatal(err)
	}
	o := f.Server.OAuth
	if o.Issuer != "https://example.us.auth0.com/" || o.ResourceURL != "https://weather.example.com/mcp" ||
		strings.Join(o.Scopes, " ") != "mcp:tools weather:read" || o.JWKSURL != "https://example.us.auth0.com/.well-known/jwks.json" {
		t.Fatalf("got %+v", o)
	}
	got := strings.Join(f.Env(), "\n")
	for _, w := range []string{
		"MCP_AUTH=oauth",
		"MCP_OAUTH_ISSUER=https://example.us.auth0.com/",
		"MCP_RESOURCE_URL=https://weather.example.com/mcp",
		"MCP_OAUTH_SCOPES=mcp:tools weather:read",
		"MCP_OAUTH_JWKS_URL=https://example.us.auth0.com/.well-known/jwks.json",
	} {
		if !strings.Contains(got, w+"\n") && !strings.HasSuffix(got, w) {
			t.Errorf("Env() lacks %s:\n%s", w, got)
		}
	}
}

func TestOAuthDefaultsAndEnv(t *testing.T) {
	t.Parallel()
	f, err := Parse("mcpctl.toml", []byte("[project]\nname = \"weather\"\n[server]\nauth = \"oauth\"\n[server.oauth]\nissuer = \"http://127.0.0.1:9999\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(f.Server.OAuth.Scopes, " ") != DefaultScope {
		t.Errorf("scopes %v, want the default", f.Server.OAuth.Scopes)
	}
	env := strings.Join(f.Env(), "\n")
	if !strings.Contains(env, "MCP_OAUTH_SCOPES="+DefaultScope) || !strings.Contains(env, "MCP_OAUTH_ISSUER=http://127.0.0.1:9999") {
		t.Errorf("Env():\n%s", env)
	}
	// Unset values are left to .env or the platform, never emitted empty.
	if strings.Contains(env, "MCP_RESOURCE_URL") || strings.Contains(env, "MCP_OAUTH_JWKS_URL") {
		t.Errorf("Env() emits unset OAuth values:\n%s", env)
	}
	// Other auth modes get no OAuth variables, even with the table present.
	f.Server.Auth = AuthAPIKey
	if env := strings.Join(f.Env(), "\n"); strings.Contains(env, "MCP_OAUTH") {
		t.Errorf("apikey Env() has OAuth variables:\n%s", env)
	}
}

func TestParseOAuthErrors(t *testing.T) {
	t.Parallel()
	const head = "[project]\nname = \"weather\"\n[server]\nauth = \"oauth\"\n"
	for _, tc := range []struct {
		name, toml string
		want       []string
	}{
		{"no issuer", head, []string{"server.oauth.issuer", "required"}},
		{"http issuer", head + "[server.oauth]\nissuer = \"http://auth.example.com\"\n", []string{"line 6", "server.oauth.issuer", "https"}},
		{"relative issuer", head + "[server.oauth]\nissuer = \"auth.example.com\"\n", []string{"server.oauth.issuer", "absolute"}},
		{"issuer with query", head + "[server.oauth]\nissuer = \"https://auth.example.com/?x=1\"\n", []string{"server.oauth.issuer", "query"}},
		{"resource is the host", head + "[server.oauth]\nissuer = \"https://a.example.com\"\nresource_url = \"https://mcp.example.com\"\n", []string{"server.oauth.resource_url", "end in the server path /mcp"}},
		{"resource over http", head + "[server.oauth]\nissuer = \"https://a.example.com\"\nresource_url = \"http://mcp.example.com/mcp\"\n", []string{"server.oauth.resource_url", "https"}},
		{"jwks over http", head + "[server.oauth]\nissuer = \"https://a.example.com\"\njwks_url = \"http://a.example.com/jwks\"\n", []string{"server.oauth.jwks_url"}},
		{"no scopes", head + "[server.oauth]\nissuer = \"https://a.example.com\"\nscopes = []\n", []string{"server.oauth.scopes", "at least one"}},
		{"bad scope", head + "[server.oauth]\nissuer = \"https://a.example.com\"\nscopes = [\"a b\"]\n", []string{"server.oauth.scopes", "not a valid scope"}},
		{"unknown key", head + "[server.oauth]\nissuer = \"https://a.example.com\"\naudience = \"x\"\n", []string{"server.oauth.audience", "unknown key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("mcpctl.toml", []byte(tc.toml))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestCheckResourceURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url, path string
		ok        bool
	}{
		{"https://mcp.example.com/mcp", "/mcp", true},
		{"https://example.com/tools/weather/mcp", "/mcp", true}, // mounted under a prefix by a proxy
		{"https://example.com/api/mcp", "/api/mcp", true},
		{"http://127.0.0.1:8000/mcp", "/mcp", true},
		{"http://localhost:8000/mcp", "/mcp", true},
		{"https://mcp.example.com/", "/mcp", false},
		{"https://mcp.example.com/mcp/", "/mcp", false},
		{"https://mcp.example.com/xmcp", "/mcp", false},
		{"http://mcp.example.com/mcp", "/mcp", false},
		{"https://mcp.example.com/mcp#x", "/mcp", false},
	} {
		if err := CheckResourceURL(tc.url, tc.path); (err == nil) != tc.ok {
			t.Errorf("CheckResourceURL(%q, %q) = %v, want ok=%v", tc.url, tc.path, err, tc.ok)
		}
	}
}
