package cmd

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/connect"
	"github.com/mcpctl/mcpctl/internal/envfile"
	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/keys"
)

func TestKeysFlags(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		verb  string
		name  string
		prev  bool
		now   bool
		usage bool
	}{
		{args: []string{"keys", "new", "--name", "ci"}, verb: "new", name: "ci"},
		{args: []string{"keys", "rotate", "--now"}, verb: "rotate", now: true},
		{args: []string{"keys", "revoke", "alice"}, verb: "revoke", name: "alice"},
		{args: []string{"keys", "revoke", "--previous", "--name", "ci"}, verb: "revoke", name: "ci", prev: true},
		{args: []string{"keys", "revoke"}, usage: true},
		{args: []string{"keys", "revoke", "alice", "--previous"}, usage: true},
		{args: []string{"keys", "new", "--name", "Bad_Name"}, usage: true},
		{args: []string{"keys", "list", "extra"}, usage: true},
		{args: []string{"keys", "frobnicate"}, usage: true},
		{args: []string{"keys"}, usage: true},
	} {
		got := parsedOptions(t, newKeysCmd, tc.usage, tc.args...)
		if got == nil {
			continue
		}
		if got.Verb != tc.verb || got.Name != tc.name || got.Previous != tc.prev || got.Now != tc.now {
			t.Errorf("%v: options %+v", tc.args, got)
		}
	}
}

func TestKeysOutsideAProject(t *testing.T) {
	f, _, _, _ := testFactory(t, t.TempDir())
	if err := execute(t, f, "keys", "list"); err == nil || IsUsageError(err) {
		t.Fatalf("got %v, want a failure that names mcpctl.toml", err)
	}
}

// Rotation names the configured clients and moves the one entry kind that holds the key
// itself (Claude Desktop via mcp-remote) to the new key; connect's TestUpdateKey proves
// the move itself.
func TestKeysRotateUpdatesMCPRemoteEntry(t *testing.T) {
	dir, home := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(dir, "mcpctl.toml"), []byte("[project]\nname = \"rot-demo\"\n"), 0o644)
	old, _ := keys.Generate()
	os.WriteFile(filepath.Join(dir, ".env"), []byte("MCP_API_KEY="+old+"\n"), 0o600)
	getenv := func(k string) string {
		if k == "HOME" {
			return home
		}
		return ""
	}
	env, _ := connect.NewEnv("linux", getenv)
	req := connect.Request{Client: connect.ClaudeDesktop, Name: "rot-demo", URL: "http://127.0.0.1:8000/mcp", ProjectDir: dir, Env: env, Via: connect.ViaMCPRemote, APIKey: old}
	if _, err := connect.Apply(req); err != nil {
		t.Fatal(err)
	}
	f, out, _, _ := testFactory(t, dir)
	f.Getenv = getenv
	if err := execute(t, f, "keys", "rotate"); err != nil {
		t.Fatal(err)
	}
	vars, _ := envfile.Read(filepath.Join(dir, ".env"))
	entry, _, err := connect.Lookup(connect.Request{Client: connect.ClaudeDesktop, Name: "rot-demo", ProjectDir: dir, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	entryEnv, _ := entry["env"].(map[string]any)
	if entryEnv["MCP_API_KEY"] != vars["MCP_API_KEY"] || vars["MCP_API_KEY"] == old {
		t.Fatalf("entry env %v, .env key %s", entryEnv, vars["MCP_API_KEY"])
	}
	if !strings.Contains(out.String(), "claude-desktop") {
		t.Errorf("configured clients not named:\n%s", out)
	}
}

func TestKeysFixesAReadableEnv(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mcpctl.toml"), []byte("[project]\nname = \"mode-demo\"\n"), 0o644)
	k, _ := keys.Generate()
	os.WriteFile(filepath.Join(dir, ".env"), []byte("MCP_API_KEY="+k+"\n"), 0o644)
	f, _, errOut, _ := testFactory(t, dir)
	if err := execute(t, f, "keys", "list"); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(filepath.Join(dir, ".env"))
	if st.Mode().Perm() != 0o600 || !strings.Contains(errOut.String(), "readable by others") {
		t.Fatalf("mode %o, stderr %q", st.Mode().Perm(), errOut)
	}
}

// keys new --show prints only the key (for piping), and list --json shows it without
// the plaintext; both in a project with no deployed app.
func TestKeysNewShowAndListJSON(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mcpctl.toml"), []byte("[project]\nname = \"json-demo\"\n"), 0o644)
	f, out, errOut, _ := testFactory(t, dir)
	if err := execute(t, f, "keys", "new", "--name", "ci", "--show"); err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(out.String())
	vars, _ := envfile.Read(filepath.Join(dir, ".env"))
	if !keys.LooksLikeKey(key) || vars["MCP_API_KEY_CI"] != key || !strings.Contains(errOut.String(), "local only") {
		t.Fatalf("stdout %q, .env %v, stderr %q", out, vars, errOut)
	}
	out.Reset()
	if err := execute(t, f, "keys", "list", "--json"); err != nil {
		t.Fatal(err)
	}
	var list struct {
		SchemaVersion int `json:"schema_version"`
		Keys          []struct {
			Name, Variable, Fingerprint, State string
			Deployed                           *bool
		} `json:"keys"`
	}
	if err := json.Unmarshal(out.Bytes(), &list); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if list.SchemaVersion != 1 || len(list.Keys) != 1 || list.Keys[0].Name != "ci" || list.Keys[0].Fingerprint != keys.Fingerprint(key) || list.Keys[0].Deployed != nil {
		t.Fatalf("list %+v", list)
	}
	if strings.Contains(out.String(), key) {
		t.Fatal("keys list --json shows the plaintext key")
	}
}

// keys list on a .env that is a directory fails and leaves the directory's mode alone.
func TestKeysListOnEnvDirectory(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mcpctl.toml"), []byte("[project]\nname = \"dir-demo\"\n"), 0o644)
	os.Mkdir(filepath.Join(dir, ".env"), 0o755)
	f, _, _, _ := testFactory(t, dir)
	err := execute(t, f, "keys", "list")
	if err == nil || !strings.Contains(err.Error(), "directory") {
		t.Fatalf("got %v", err)
	}
	if st, _ := os.Stat(filepath.Join(dir, ".env")); st.Mode().Perm() != 0o755 {
		t.Fatalf("mode changed to %o", st.Mode().Perm())
	}
}

// keys new --show on a deployed project whose platform refuses the change exits
// non-zero, prints no key (a pipe into a secret store gets nothing), and keeps the key
// pending in .env.
func TestKeysNewFailsWhenThePushFails(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mcpctl.toml"), []byte("[project]\nname = \"push-demo\"\n[deploy.heroku]\napp = \"push-demo\"\n"), 0o644)
	f, out, _, stub := testFactory(t, dir)
	stub.On("heroku", []string{"config", "-a", "push-demo", "--json"}, executor.Result{Stdout: []byte("{}")}, nil)
	stub.On("heroku", []string{"config:set"}, executor.Result{ExitCode: 1}, &executor.ExitError{Cmd: executor.Cmd{Name: "heroku", Args: []string{"config:set"}}, ExitCode: 1, Stderr: []byte("rate limited")})
	err := execute(t, f, "keys", "new", "--name", "ci", "--show")
	if err == nil || out.Len() != 0 {
		t.Fatalf("err %v, stdout %q", err, out)
	}
	vars, _ := envfile.Read(filepath.Join(dir, ".env"))
	if !keys.LooksLikeKey(vars["MCP_API_KEY_CI_PENDING"]) || vars["MCP_API_KEY_CI"] != "" {
		t.Fatalf(".env %v", vars)
	}
}

// `keys new` without --name creates the main key, MCP_API_KEY, as --help says; a second
// one is refused with the rotate advice, and .env is left as it was.
func TestKeysNewWithoutName(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mcpctl.toml"), []byte("[project]\nname = \"main-key\"\n"), 0o644)
	f, out, _, _ := testFactory(t, dir)
	if err := execute(t, f, "keys", "new", "--show"); err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(out.String())
	vars, _ := envfile.Read(filepath.Join(dir, ".env"))
	if !keys.LooksLikeKey(key) || vars["MCP_API_KEY"] != key {
		t.Fatalf("stdout %q, .env %v", out, vars)
	}
	before, _ := os.ReadFile(filepath.Join(dir, ".env"))
	err := execute(t, f, "keys", "new")
	var h Hinter
	if err == nil || !strings.Contains(err.Error(), "already exists") || !errors.As(err, &h) || !strings.Contains(h.Hint(), "mcpctl keys rotate") {
		t.Fatalf("second keys new: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, ".env")); string(after) != string(before) {
		t.Fatal(".env changed by a refused keys new")
	}
}

// keys list shows a key the app accepts that .env lacks as unknown, with its fingerprint.
func TestKeysListShowsUnknownKeys(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mcpctl.toml"), []byte("[project]\nname = \"unk\"\n[deploy.heroku]\napp = \"unk\"\n"), 0o644)
	mine, _ := keys.Generate()
	teammate, _ := keys.Generate()
	os.WriteFile(filepath.Join(dir, ".env"), []byte("MCP_API_KEY="+mine+"\n"), 0o600)
	f, out, _, stub := testFactory(t, dir)
	stub.On("heroku", []string{"config", "-a", "unk", "--json"}, executor.Result{Stdout: []byte(`{"MCP_API_KEY_HASHES":"` + keys.Hash(mine) + "," + keys.Hash(teammate) + `"}`)}, nil)
	if err := execute(t, f, "keys", "list"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "unknown") || !strings.Contains(out.String(), keys.Fingerprint(teammate)) || !strings.Contains(out.String(), "not in this .env") {
		t.Fatalf("keys list:\n%s", out)
	}
}

// keys list has a readable header; after a rotation the previous key keeps its creation
// date; a rotation without a deployed app says the keys are local only.
func TestKeysListAfterRotation(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mcpctl.toml"), []byte("[project]\nname = \"rot-demo\"\n"), 0o644)
	f, out, errOut, _ := testFactory(t, dir)
	if err := execute(t, f, "keys", "new"); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	if err := execute(t, f, "keys", "rotate"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "no deployed app, so keys are local only") {
		t.Errorf("rotate without an app:\n%s", errOut)
	}
	out.Reset()
	if err := execute(t, f, "keys", "list"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "FINGERPRINT") || strings.Contains(out.String(), "unknown") {
		t.Errorf("keys list:\n%s", out)
	}
	col := strings.Index(lines[0], "CREATED")
	for _, l := range lines[1:] {
		if len(l) <= col || l[col-1] != ' ' || l[col] == ' ' {
			t.Errorf("CREATED column not at %d in %q", col, l)
		}
	}
}
