package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// TestKeyRotationAgainstDeployedServer rotates the key of an app deployed on the fake
// Heroku: old and new keys both work during the rotation, the old one stops after the
// revoke, and a failing platform call mid-rotation leaves a working key and resumes.
func TestKeyRotationAgainstDeployedServer(t *testing.T) {
	dir := initProject(t, "keys-demo")
	fake := newFakeHeroku(t, fakeState{LoggedIn: true, Email: "dev@example.com"})
	if out, errOut, code := mcpctl(t, dir, fake.env, "deploy", "heroku"); code != 0 {
		t.Fatalf("deploy exited %d\n%s\n%s", code, out, errOut)
	}
	endpoint := fmt.Sprintf("http://127.0.0.1:%d/mcp", fake.app(t, "keys-demo").Port)
	works := func(key string) bool {
		t.Helper()
		_, _, code := mcpctl(t, dir, []string{"MCP_API_KEY=" + key}, "check", endpoint, "--retry-for", "20s")
		return code == 0
	}
	old := dotenv(t, dir)["MCP_API_KEY"]
	if !works(old) {
		t.Fatal("the deployed app rejects the key from .env")
	}

	// config:set fails: the rotation stops, .env keeps the working key and the successor.
	st := fake.state(t)
	st.Fail = map[string]string{"config:set": " ›   Error: API rate limit exceeded"}
	fake.write(t, st)
	_, errOut, code := mcpctl(t, dir, fake.env, "keys", "rotate")
	if code == 0 || !strings.Contains(errOut, "again") {
		t.Fatalf("rotate with a failing platform: exit %d\n%s", code, errOut)
	}
	env := dotenv(t, dir)
	if env["MCP_API_KEY"] != old || env["MCP_API_KEY_PENDING"] == "" || !works(old) {
		t.Fatalf("after the failed step .env is %v and the old key works: %v", env, works(old))
	}
	pending := env["MCP_API_KEY_PENDING"]

	st = fake.state(t)
	st.Fail = nil
	fake.write(t, st)
	out, errOut, code := mcpctl(t, dir, fake.env, "keys", "rotate")
	if code != 0 || !strings.Contains(errOut, "interrupted rotation") {
		t.Fatalf("resume: exit %d\n%s\n%s", code, out, errOut)
	}
	env = dotenv(t, dir)
	if env["MCP_API_KEY"] != pending || env["MCP_API_KEY_PREVIOUS"] != old {
		t.Fatalf(".env after rotate: %v", env)
	}
	if !works(old) || !works(pending) {
		t.Fatalf("during the rotation: old works %v, new works %v", works(old), works(pending))
	}
	for _, c := range fake.argv(t) {
		if strings.Contains(c, old) || strings.Contains(c, pending) {
			t.Fatalf("a plaintext key reached the heroku CLI: %s", c)
		}
	}

	if out, errOut, code := mcpctl(t, dir, fake.env, "keys", "revoke", "--previous"); code != 0 {
		t.Fatalf("revoke: exit %d\n%s\n%s", code, out, errOut)
	}
	if works(old) || !works(pending) {
		t.Fatalf("after revoke: old works %v, new works %v", works(old), works(pending))
	}
	out, _, _ = mcpctl(t, dir, fake.env, "keys", "list")
	if !strings.Contains(out, "keys-demo") || strings.Contains(out, "previous") {
		t.Errorf("keys list:\n%s", out)
	}
}
