package connect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/keys"
)

// A new key reaches the one entry kind that holds the key itself (Claude Desktop via
// mcp-remote), and the backup of the edit does not keep the replaced key.
func TestUpdateKeyMovesMCPRemoteEntry(t *testing.T) {
	t.Parallel()
	dir, home := t.TempDir(), t.TempDir()
	env, err := NewEnv("linux", func(k string) string {
		if k == "HOME" {
			return home
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	old, _ := keys.Generate()
	url := "http://127.0.0.1:8000/mcp"
	if _, err := Apply(Request{Client: ClaudeDesktop, Name: "demo", URL: url, ProjectDir: dir, Env: env, Via: ViaMCPRemote, APIKey: old}); err != nil {
		t.Fatal(err)
	}
	// A second apply with the same key leaves a backup that holds it.
	if _, err := Apply(Request{Client: ClaudeDesktop, Name: "other", URL: "http://127.0.0.1:9000/mcp", ProjectDir: dir, Env: env, Via: ViaMCPRemote, APIKey: old}); err != nil {
		t.Fatal(err)
	}
	newKey, _ := keys.Generate()
	restarts := UpdateKey(KeyChange{ProjectDir: dir, Env: env, URLs: []string{url}, NewKey: newKey})
	if len(restarts) != 1 || restarts[0].Client != ClaudeDesktop || len(restarts[0].Moved) != 1 || restarts[0].Moved[0] != "demo" || len(restarts[0].Warnings) != 0 {
		t.Fatalf("restarts %+v", restarts)
	}
	entry, path, err := Lookup(Request{Client: ClaudeDesktop, Name: "demo", ProjectDir: dir, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := entry["env"].(map[string]any); e["MCP_API_KEY"] != newKey {
		t.Fatalf("entry env %v", e)
	}
	if bak, err := os.ReadFile(path + ".bak"); err != nil || strings.Contains(string(bak), old) {
		t.Fatalf("%s.bak: %v, holds the old key: %v", filepath.Base(path), err, strings.Contains(string(bak), old))
	}
}
