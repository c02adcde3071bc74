package e2e

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/mcpctl/mcpctl/config"
)

// The public URL the generated server is told it has, as behind a platform's router.
const oauthResource = "https://oauth-demo.example.com/mcp"

// TestOAuthServer generates an OAuth resource server, builds it and runs its own tests
// (which cover every token case with an in-process issuer), then serves it as the
// Procfile says: first with no reachable identity provider, then against a real OpenID
// provider that issues real access tokens.
func TestOAuthServer(t *testing.T) {
	dir := initProject(t, "oauth-demo", "--auth", "oauth", "--issuer", "https://login.example.com/")

	// mcpctl.toml holds the OAuth settings; .env only the local resource URL, no secret.
	cfg, err := config.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Auth != config.AuthOAuth || cfg.Server.OAuth.Issuer != "https://login.example.com/" || strings.Join(cfg.Server.OAuth.Scopes, " ") != "mcp:tools" {
		t.Errorf("mcpctl.toml: %+v", cfg.Server)
	}
	vars := dotenv(t, dir)
	if vars["MCP_RESOURCE_URL"] != "http://127.0.0.1:8000/mcp" || vars["MCP_API_KEY"] != "" || len(vars) != 1 {
		t.Errorf(".env holds %v, want only the local MCP_RESOURCE_URL", vars)
	}
	if st, _ := os.Stat(filepath.Join(dir, ".env")); st.Mode().Perm() != 0o600 {
		t.Errorf(".env mode %o, want 600", st.Mode().Perm())
	}
	if tracked := run(t, dir, "git", "ls-files"); strings.Contains(tracked, ".env\n") || !strings.Contains(tracked, "internal/server/oauth.go") {
		t.Errorf("tracked files:\n%s", tracked)
	}

	// go.sum is complete (the build only downloads) and is what `go mod tidy` makes.
	run(t, dir, "go", "build", "-o", "bin/", "./...")
	run(t, dir, "go", "mod", "tidy", "-diff")
	run(t, dir, "go", "vet", "./...")
	run(t, dir, "go", "test", "./...")

	t.Run("refuses to start without a resource URL", func(t *testing.T) {
		argv := procfileWeb(t, dir)
		c := exec.Command(filepath.Join(dir, argv[0]), argv[1:]...)
		c.Dir = dir
		c.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", freePort(t)), "MCP_RESOURCE_URL=")
		out, err := c.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "MCP_RESOURCE_URL") {
			t.Errorf("exit %v, output %q; want exit 1 naming MCP_RESOURCE_URL", err, out)
		}
	})

	t.Run("provider unreachable", func(t *testing.T) {
		issuer := fmt.Sprintf("http://127.0.0.1:%d", freePort(t)) // nothing listens there
		srv := startServer(t, dir, "MCP_OAUTH_ISSUER="+issuer, "MCP_RESOURCE_URL="+oauthResource)
		endpoint := srv.url + "/mcp"
		checkChallenge(t, endpoint)
		checkMetadata(t, srv.url, issuer)

		// A token the server must check against the provider's keys: 503, and the server
		// lives on.
		token := fakeJWT(t)
		resp := postMCP(t, endpoint, token)
		var body map[string]string
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || body["error"] != "temporarily_unavailable" {
			t.Errorf("status %d, body %v; want 503 temporarily_unavailable", resp.StatusCode, body)
		}
		if resp, err := http.Get(srv.url + "/health"); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("/health after a failed key fetch: %v %v", resp, err)
		}
		if strings.Contains(srv.stderr.String(), token) {
			t.Error("the server logged a token")
		}
		if err := srv.stop(t); err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, srv.stderr.String())
		}
	})

	t.Run("real OpenID provider", func(t *testing.T) {
		issuer := startOIDCProvider(t)
		srv := startServer(t, dir, "MCP_OAUTH_ISSUER="+issuer, "MCP_RESOURCE_URL="+oauthResource)
		endpoint := srv.url + "/mcp"
		checkChallenge(t, endpoint)
		checkMetadata(t, srv.url, issuer)

		// A real token for this server: a real client initializes, lists the tools and
		// calls whoami, which reports what the token says.
		token := clientCredentialsToken(t, issuer, "mcp:tools", oauthResource)
		cs, err := connect(t, endpoint, http.Header{"Authorization": {"Bearer " + token}})
		if err != nil {
			t.Fatalf("connect with a token: %v\n%s", err, srv.stderr.String())
		}
		ctx := context.Background()
		if names := toolNames(t, cs); !names["whoami"] || !names["say_hello"] || !names["get_weather"] {
			t.Errorf("tools %v", names)
		}
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "whoami"})
		if err != nil {
			t.Fatal(err)
		}
		if text := res.Content[0].(*mcp.TextContent).Text; res.IsError || !strings.Contains(text, "subject: mcp-e2e\n") || !strings.Contains(text, "scopes: mcp:tools\n") {
			t.Errorf("whoami: %q", text)
		}
		cs.Close()

		// mcpctl check walks the discovery chain as a client does, then runs the MCP steps
		// with the token. The chain leads to the resource URL's host, so this server's
		// resource is its own loopback URL.
		port := freePort(t)
		local := fmt.Sprintf("http://127.0.0.1:%d/mcp", port)
		startServer(t, dir, "MCP_OAUTH_ISSUER="+issuer, "MCP_RESOURCE_URL="+local, fmt.Sprintf("PORT=%d", port))
		localToken := clientCredentialsToken(t, issuer, "mcp:tools", local)
		out, errOut, code := mcpctl(t, t.TempDir(), []string{"MCP_ACCESS_TOKEN=" + localToken}, "check", local, "--token-env", "MCP_ACCESS_TOKEN", "--call", "whoami", "--json")
		var rep struct {
			OK    bool `json:"ok"`
			Steps []struct {
				Name, Status string
			} `json:"steps"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || !rep.OK {
			t.Fatalf("check with a token: exit %d, %v\n%s\n%s", code, err, out, errOut)
		}
		passed := map[string]bool{}
		for _, st := range rep.Steps {
			passed[st.Name] = st.Status == "pass" || st.Status == "warn"
		}
		for _, step := range []string{"auth", "oauth-resource", "oauth-server", "initialize", "tools/list", "tools/call"} {
			if !passed[step] {
				t.Errorf("check step %s did not pass: %+v", step, rep.Steps)
			}
		}

		// A token for another server is refused: the audience binds it (RFC 8707).
		other := clientCredentialsToken(t, issuer, "mcp:tools", "https://other.example.com/mcp")
		resp := postMCP(t, endpoint, other)
		resp.Body.Close()
		if p := bearerParams(t, resp); resp.StatusCode != http.StatusUnauthorized || p["error"] != "invalid_token" {
			t.Errorf("token for another resource: status %d, challenge %v", resp.StatusCode, p)
		}
		// A token without the scope gets 403 insufficient_scope.
		unscoped := clientCredentialsToken(t, issuer, "other", oauthResource)
		resp = postMCP(t, endpoint, unscoped)
		resp.Body.Close()
		if p := bearerParams(t, resp); resp.StatusCode != http.StatusForbidden || p["error"] != "insufficient_scope" || p["scope"] != "mcp:tools" {
			t.Errorf("token without the scope: status %d, challenge %v", resp.StatusCode, p)
		}

		if log := srv.stderr.String(); strings.Contains(log, token) || strings.Contains(log, other) {
			t.Error("the server logged a token")
		}
		if err := srv.stop(t); err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, srv.stderr.String())
		}
	})
}

// TestInitOAuthUsageErrors checks that OAuth flags are validated before anything is
// written.
func TestInitOAuthUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"init", "ok-name", "--yes", "--auth", "oauth"},
		{"init", "ok-name", "--yes", "--auth", "oauth", "--issuer", "http://login.example.com/"},
		{"init", "ok-name", "--yes", "--auth", "oauth", "--issuer", "login.example.com"},
		{"init", "ok-name", "--yes", "--auth", "oauth", "--issuer", "https://login.example.com/", "--audience", "https://ok-name.example.com/"},
		{"init", "ok-name", "--yes", "--auth", "oauth", "--issuer", "https://login.example.com/", "--scopes", `a"b`},
		{"init", "ok-name", "--yes", "--auth", "apikey", "--issuer", "https://login.example.com/"},
	} {
		t.Run(strings.Join(args[3:], " "), func(t *testing.T) {
			parent := t.TempDir()
			_, errOut, code := mcpctl(t, parent, nil, args...)
			if code != 2 || !strings.HasPrefix(errOut, "Error: ") {
				t.Errorf("exit %d, stderr %q; want 2 and a clear error", code, errOut)
			}
			if entries, _ := os.ReadDir(parent); len(entries) != 0 {
				t.Errorf("wrote %d entries", len(entries))
			}
		})
	}
}

// checkChallenge checks the 401 a client without a token gets: an RFC 6750 challenge with
// the absolute URL of the metadata, at the root of the public host.
func checkChallenge(t *testing.T, endpoint string) {
	t.Helper()
	resp, err := http.Post(endpoint, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	p := bearerParams(t, resp)
	if resp.StatusCode != http.StatusUnauthorized || p["resource_metadata"] != "https://oauth-demo.example.com/.well-known/oauth-protected-resource/mcp" {
		t.Errorf("no token: status %d, challenge %v", resp.StatusCode, p)
	}
}

// checkMetadata checks the RFC 9728 metadata at the root and the path-suffixed form.
func checkMetadata(t *testing.T, base, issuer string) {
	t.Helper()
	for _, p := range []string{"/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"} {
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		var md oauthex.ProtectedResourceMetadata
		err = json.NewDecoder(resp.Body).Decode(&md)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || md.Resource != oauthResource ||
			len(md.AuthorizationServers) != 1 || md.AuthorizationServers[0] != issuer || strings.Join(md.BearerMethodsSupported, ",") != "header" {
			t.Errorf("%s: status %d, %+v (%v)", p, resp.StatusCode, md, err)
		}
	}
}

func bearerParams(t *testing.T, resp *http.Response) map[string]string {
	t.Helper()
	cs, err := oauthex.ParseWWWAuthenticate(resp.Header.Values("WWW-Authenticate"))
	if err != nil || len(cs) == 0 || cs[0].Scheme != "bearer" {
		t.Errorf("WWW-Authenticate %q: %v", resp.Header.Values("WWW-Authenticate"), err)
		return nil
	}
	return cs[0].Params
}

func postMCP(t *testing.T, endpoint, token string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"e2e","version":"0"}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// fakeJWT is well-formed enough that checking it needs the provider's keys.
func fakeJWT(t *testing.T) string {
	t.Helper()
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	return enc(`{"alg":"RS256","kid":"k1","typ":"at+jwt"}`) + "." + enc(`{"sub":"x"}`) + "." + enc("not a signature")
}

// startOIDCProvider runs oidc-provider (pinned by testdata/oidc/package-lock.json,
// installed with npm into a temporary directory) on a free loopback port, and returns
// its issuer URL. It needs node and npm, and the npm registry for the install. Without
// node or npm the test is skipped, unless MCPCTL_E2E_REQUIRE_OIDC=1 makes that a failure.
func startOIDCProvider(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			msg := fmt.Sprintf("%s is not installed; the OpenID provider for this test runs on Node.js", tool)
			if os.Getenv("MCPCTL_E2E_REQUIRE_OIDC") == "1" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	dir := t.TempDir()
	for _, f := range []string{"package.json", "package-lock.json", "provider.mjs"} {
		data, err := os.ReadFile(filepath.Join("testdata", "oidc", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	install := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm ci (installing oidc-provider): %v\n%s", err, out)
	}

	port := freePort(t)
	c := exec.Command("node", "provider.mjs")
	c.Dir = dir
	c.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port))
	stdout, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	c.Stderr = logs
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if issuer, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				listening <- issuer
			}
			fmt.Fprintln(logs, sc.Text())
		}
		done <- c.Wait()
	}()
	t.Cleanup(func() {
		_ = c.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = c.Process.Kill()
			<-done
		}
	})
	select {
	case issuer := <-listening:
		return issuer
	case err := <-done:
		t.Fatalf("oidc-provider exited: %v\n%s", err, logs.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("oidc-provider did not start in 20s:\n%s", logs.String())
	}
	return ""
}

// clientCredentialsToken gets an access token from the provider's token endpoint (found
// through its metadata) for resource, with scope.
func clientCredentialsToken(t *testing.T, issuer, scope, resource string) string {
	t.Helper()
	resp, err := http.Get(issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var md struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	json.NewDecoder(resp.Body).Decode(&md)
	resp.Body.Close()
	if md.TokenEndpoint == "" {
		t.Fatalf("the provider's metadata names no token endpoint (status %d)", resp.StatusCode)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {scope}, "resource": {resource}}
	req, _ := http.NewRequest(http.MethodPost, md.TokenEndpoint, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("mcp-e2e", "mcp-e2e-secret")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || resp.StatusCode != http.StatusOK || tok.AccessToken == "" {
		t.Fatalf("token request: %s %s", resp.Status, body)
	}
	return tok.AccessToken
}
