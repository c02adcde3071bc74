package connect

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	testURL     = "https://demo-1a2b3c4d5e6f.herokuapp.com/mcp"
	testCommand = "/opt/mcpctl/bin/mcpctl"
	testEnvFile = "/home/dev/demo/.env"
)

// fixture is a fake home and project, so no test touches the real home directory.
type fixture struct {
	home, proj string
	vars       map[string]string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{home: filepath.Join(dir, "home"), proj: filepath.Join(dir, "proj"), vars: map[string]string{}}
	for _, d := range []string{f.home, f.proj} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *fixture) env() Env {
	return Env{GOOS: "linux", Home: f.home, Getenv: func(k string) string { return f.vars[k] }}
}

func (f *fixture) req(c Client) Request {
	return Request{
		Client:     c,
		Name:       "demo",
		URL:        testURL,
		ProjectDir: f.proj,
		Env:        f.env(),
		Command:    testCommand,
		EnvFile:    testEnvFile,
	}
}

func apply(t *testing.T, r Request) Result {
	t.Helper()
	res, err := Apply(r)
	if err != nil {
		t.Fatalf("Apply(%s): %v", r.Client, err)
	}
	return res
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path string, data string, mode fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// golden compares got with testdata/NAME, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n%s", name, diff(path, want, got, true))
	}
}

type clientScope struct {
	client Client
	scope  Scope
}

// fileClients is every client with a file, in every scope it has.
func fileClients() []clientScope {
	var out []clientScope
	for _, c := range Clients() {
		if !c.HasFile {
			continue
		}
		for _, s := range c.Scopes {
			out = append(out, clientScope{c.ID, s})
		}
	}
	return out
}

func TestGoldenNewFiles(t *testing.T) {
	t.Parallel()
	for _, cs := range fileClients() {
		for _, auth := range []Auth{AuthAPIKey, AuthOAuth} {
			t.Run(string(cs.client)+"/"+string(cs.scope)+"/"+string(auth), func(t *testing.T) {
				f := newFixture(t)
				r := f.req(cs.client)
				r.Scope, r.Auth = cs.scope, auth
				res := apply(t, r)
				if res.Action != Created {
					t.Errorf("action = %s, want created", res.Action)
				}
				rel, err := filepath.Rel(filepath.Dir(f.home), res.Path)
				if err != nil {
					t.Fatal(err)
				}
				got := append([]byte("# "+filepath.ToSlash(rel)+"\n"), read(t, res.Path)...)
				golden(t, filepath.Join("new", string(cs.client)+"_"+string(cs.scope)+"_"+string(auth)+".golden"), got)
				if fi, err := os.Stat(res.Path); err == nil {
					want := fs.FileMode(0o644)
					if cs.scope == ScopeUser {
						want = 0o600
					}
					if fi.Mode().Perm() != want {
						t.Errorf("new file mode = %o, want %o", fi.Mode().Perm(), want)
					}
				}
				if res.Backup != "" {
					t.Errorf("backup %q for a new file", res.Backup)
				}
			})
		}
	}
}

// TestGoldenMerge edits a realistic existing file per client: other servers, unknown
// fields, comments and the user's own formatting must survive, and our old entry (with
// a stale URL and a field the user added) is updated in place.
func TestGoldenMerge(t *testing.T) {
	t.Parallel()
	for _, cs := range []clientScope{
		{Cursor, ScopeProject}, {ClaudeCode, ScopeUser}, {ClaudeDesktop, ScopeUser},
		{VSCode, ScopeProject}, {Windsurf, ScopeUser}, {Codex, ScopeUser}, {Gemini, ScopeProject},
	} {
		t.Run(string(cs.client), func(t *testing.T) {
			f := newFixture(t)
			r := f.req(cs.client)
			r.Scope = cs.scope
			path, err := specFor(cs.client).path(r.Env, cs.scope, f.proj)
			if err != nil {
				t.Fatal(err)
			}
			ext := ".json"
			if cs.client == Codex {
				ext = ".toml"
			}
			in := read(t, filepath.Join("testdata", "merge", string(cs.client)+ext))
			writeFile(t, path, string(in), 0o640)

			res := apply(t, r)
			if res.Action != Updated {
				t.Errorf("action = %s, want updated", res.Action)
			}
			out := read(t, path)
			golden(t, filepath.Join("merge", string(cs.client)+ext+".golden"), out)

			// The previous file is kept byte for byte, with its mode.
			if res.Backup != path+".bak" {
				t.Errorf("backup = %q", res.Backup)
			}
			if !bytes.Equal(read(t, res.Backup), in) {
				t.Error("backup differs from the previous file")
			}
			for _, p := range []string{path, res.Backup} {
				if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o640 {
					t.Errorf("%s mode = %o, want the original 0640", p, fi.Mode().Perm())
				}
			}

			// Idempotent: the second run writes nothing.
			fi, _ := os.Stat(path)
			again := apply(t, r)
			if again.Action != Unchanged || again.Diff != "" {
				t.Errorf("second run: %s, diff %q", again.Action, again.Diff)
			}
			if fi2, _ := os.Stat(path); !fi2.ModTime().Equal(fi.ModTime()) || !bytes.Equal(read(t, path), out) {
				t.Error("second run rewrote the file")
			}

			// --remove takes out our entry and nothing else.
			r.Remove = true
			removed := apply(t, r)
			if removed.Action != Removed {
				t.Errorf("remove: %s", removed.Action)
			}
			golden(t, filepath.Join("merge", string(cs.client)+ext+".removed.golden"), read(t, path))
			if again := apply(t, r); again.Action != Absent {
				t.Errorf("second remove: %s, want absent", again.Action)
			}
		})
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.req(Cursor)
	r.DryRun = true
	res := apply(t, r)
	if res.Action != Created || !res.DryRun {
		t.Errorf("result = %+v", res)
	}
	if !strings.HasPrefix(res.Diff, "--- /dev/null\n+++ ") || !strings.Contains(res.Diff, `+      "url": "`+testURL+`",`) {
		t.Errorf("diff:\n%s", res.Diff)
	}
	if _, err := os.Stat(res.Path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("dry run created %s", res.Path)
	}

	r.DryRun = false
	apply(t, r)
	before := read(t, res.Path)
	r.DryRun, r.URL = true, "https://other.example.com/mcp"
	res = apply(t, r)
	if res.Action != Updated || !strings.Contains(res.Diff, "-      \"url\": \""+testURL) || !strings.Contains(res.Diff, "+      \"url\": \"https://other.example.com/mcp\"") {
		t.Errorf("dry-run update: %s\n%s", res.Action, res.Diff)
	}
	if !bytes.Equal(read(t, res.Path), before) {
		t.Error("dry run changed the file")
	}
	if _, err := os.Stat(res.Path + ".bak"); err == nil {
		t.Error("dry run wrote a backup")
	}
}

func TestMalformedFileUntouched(t *testing.T) {
	t.Parallel()
	cases := []struct {
		client   Client
		content  string
		line     int
		col      int
		contains string
	}{
		{Cursor, "{\n  \"mcpServers\": {\n    \"a\": {\"url\": \"x\",,}\n  }\n}\n", 3, 0, ""},
		{ClaudeCode, "{\n  \"mcpServers\": [1, 2]\n}\n", 2, 17, "is not an object"},
		{Gemini, "[\"not\", \"an\", \"object\"]\n", 1, 1, "not a JSON object"},
		{VSCode, "{\n  // comment\n  \"servers\": {},\n  \"inputs\": {\"id\": 1}\n}\n", 4, 13, `"inputs" is not an array`},
		{Codex, "[mcp_servers.a]\nurl = \"x\"\nurl = \"y\"\n", 3, 1, ""},
		{Codex, "model = \n", 1, 0, ""},
		{ClaudeDesktop, "{\"mcpServers\": {\"a\": {}},\n \"mcpServers\": {}}\n", 2, 2, `"mcpServers" appears twice`},
		{Cursor, "{\n  \"mcpServers\": {\n    \"x\": {\"url\": \"a\", \"url\": \"b\"}\n  }\n}\n", 3, 23, `"url" appears twice`},
	}
	for _, tc := range cases {
		t.Run(string(tc.client), func(t *testing.T) {
			f := newFixture(t)
			r := f.req(tc.client)
			if tc.client == Codex {
				r.Scope = ScopeUser
			}
			path, _ := specFor(tc.client).path(r.Env, DefaultScope(tc.client), f.proj)
			writeFile(t, path, tc.content, 0o644)
			for _, remove := range []bool{false, true} {
				r.Remove = remove
				_, err := Apply(r)
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("Apply = %v, want a *ParseError", err)
				}
				if pe.Path != path || pe.Line != tc.line || (tc.col != 0 && pe.Column != tc.col) {
					t.Errorf("error at %s:%d:%d, want %s:%d:%d (%v)", pe.Path, pe.Line, pe.Column, path, tc.line, tc.col, err)
				}
				if !strings.HasPrefix(err.Error(), path+":") || !strings.Contains(err.Error(), tc.contains) {
					t.Errorf("message %q", err)
				}
				if !strings.Contains(pe.Hint(), "did not change") {
					t.Errorf("hint %q", pe.Hint())
				}
				if got := read(t, path); string(got) != tc.content {
					t.Errorf("file changed:\n%s", got)
				}
				if _, err := os.Stat(path + ".bak"); err == nil {
					t.Error("a backup was written")
				}
			}
		})
	}
}

func TestNamesValidated(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"", "has space", "dot.name", "slash/x", "ünï", "quote\"", strings.Repeat("a", 65)} {
		f := newFixture(t)
		r := f.req(Cursor)
		r.Name = name
		if _, err := Apply(r); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
	for _, name := range []string{"demo", "Demo_2", "my-server", "a"} {
		if err := ValidateName(name); err != nil {
			t.Errorf("name %q: %v", name, err)
		}
	}
}

func TestRequestChecks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		name   string
		change func(*Request)
		want   string
	}{
		{"unknown client", func(r *Request) { r.Client = "emacs" }, "unknown client"},
		{"no scope", func(r *Request) { r.Client, r.Scope = Windsurf, ScopeProject }, "no project scope"},
		{"bad url", func(r *Request) { r.URL = "demo.example.com/mcp" }, "not an http(s) URL"},
		{"no url", func(r *Request) { r.URL = "" }, "no server URL"},
		{"bad auth", func(r *Request) { r.Auth = "basic" }, "unknown auth"},
		{"bad key env", func(r *Request) { r.KeyEnv = "MCP-KEY" }, "invalid environment variable"},
		{"relative command", func(r *Request) { r.Client, r.Command = ClaudeDesktop, "mcpctl" }, "absolute path of mcpctl"},
		{"oauth bridge", func(r *Request) { r.Client, r.Auth, r.Via = ClaudeDesktop, AuthOAuth, ViaBridge }, "cannot run an OAuth sign-in"},
		{"mcp-remote without key", func(r *Request) { r.Client, r.Via = ClaudeDesktop, ViaMCPRemote }, "needs the key itself"},
		{"unknown via", func(r *Request) { r.Client, r.Via = ClaudeDesktop, "ssh" }, "unknown --via"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.req(Cursor)
			tc.change(&r)
			_, err := Apply(r)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Apply = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := Apply(Request{Client: Windsurf, Scope: ScopeProject, Name: "x", URL: testURL}); !errors.Is(err, ErrUnsupportedScope) {
		t.Errorf("unsupported scope error = %v", err)
	}
}

func TestUserPaths(t *testing.T) {
	t.Parallel()
	home := "/home/u"
	vars := map[string]string{}
	env := func(goos string) Env {
		return Env{GOOS: goos, Home: home, Getenv: func(k string) string { return vars[k] }}
	}
	check := func(c Client, goos, want string) {
		t.Helper()
		got, err := specFor(c).path(env(goos), ScopeUser, "/work/proj")
		if err != nil || filepath.ToSlash(got) != want {
			t.Errorf("%s on %s: %q, %v; want %q", c, goos, got, err, want)
		}
	}
	check(Cursor, "linux", "/home/u/.cursor/mcp.json")
	check(ClaudeCode, "linux", "/home/u/.claude.json")
	check(ClaudeDesktop, "darwin", "/home/u/Library/Application Support/Claude/claude_desktop_config.json")
	check(ClaudeDesktop, "linux", "/home/u/.config/Claude/claude_desktop_config.json")
	check(ClaudeDesktop, "windows", "/home/u/AppData/Roaming/Claude/claude_desktop_config.json")
	check(VSCode, "darwin", "/home/u/Library/Application Support/Code/User/mcp.json")
	check(VSCode, "linux", "/home/u/.config/Code/User/mcp.json")
	check(Windsurf, "linux", "/home/u/.codeium/windsurf/mcp_config.json")
	check(Codex, "linux", "/home/u/.codex/config.toml")
	check(Gemini, "linux", "/home/u/.gemini/settings.json")

	vars["CLAUDE_CONFIG_DIR"] = "/cfg/claude"
	vars["CODEX_HOME"] = "/cfg/codex"
	vars["XDG_CONFIG_HOME"] = "/cfg/xdg"
	vars["APPDATA"] = "C:/Users/u/AppData/Roaming"
	check(ClaudeCode, "linux", "/cfg/claude/.claude.json")
	check(Codex, "linux", "/cfg/codex/config.toml")
	check(ClaudeDesktop, "linux", "/cfg/xdg/Claude/claude_desktop_config.json")
	check(VSCode, "linux", "/cfg/xdg/Code/User/mcp.json")
	check(ClaudeDesktop, "windows", "C:/Users/u/AppData/Roaming/Claude/claude_desktop_config.json")
	check(VSCode, "windows", "C:/Users/u/AppData/Roaming/Code/User/mcp.json")

	project := map[Client]string{
		Cursor: "/work/proj/.cursor/mcp.json", ClaudeCode: "/work/proj/.mcp.json",
		VSCode: "/work/proj/.vscode/mcp.json", Gemini: "/work/proj/.gemini/settings.json",
	}
	for c, want := range project {
		got, _ := specFor(c).path(env("linux"), ScopeProject, "/work/proj")
		if filepath.ToSlash(got) != want {
			t.Errorf("%s project: %q, want %q", c, got, want)
		}
	}

	e, err := NewEnv("windows", func(k string) string { return map[string]string{"USERPROFILE": `C:\Users\u`}[k] })
	if err != nil || e.Home != `C:\Users\u` {
		t.Errorf("NewEnv(windows) = %+v, %v", e, err)
	}
	if _, err := NewEnv("linux", func(string) string { return "" }); err == nil {
		t.Error("NewEnv without HOME succeeded")
	}
}

func TestDefaultScopes(t *testing.T) {
	t.Parallel()
	want := map[Client]Scope{
		Cursor: ScopeProject, ClaudeCode: ScopeProject, VSCode: ScopeProject, Gemini: ScopeProject,
		ClaudeDesktop: ScopeUser, Windsurf: ScopeUser, Codex: ScopeUser, ClaudeAI: ScopeUser,
	}
	for c, s := range want {
		if got := DefaultScope(c); got != s {
			t.Errorf("DefaultScope(%s) = %s, want %s", c, got, s)
		}
	}
	if len(ClientNames()) != len(want) {
		t.Errorf("ClientNames = %v", ClientNames())
	}
}

func TestAdvice(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		client Client
		export string
		note   string
	}{
		{Cursor, "MCP_API_KEY", "${env:MCP_API_KEY}"},
		{ClaudeCode, "MCP_API_KEY", "approve"},
		{Windsurf, "MCP_API_KEY", "Windsurf"},
		{Gemini, "MCP_API_KEY", "gemini"},
		{Codex, "MCP_API_KEY", "startup_timeout_sec"},
		{VSCode, "", `input "mcp-api-key"`},
		{ClaudeDesktop, "", "nothing to export"},
	} {
		r := f.req(tc.client)
		r.DryRun = true
		res := apply(t, r)
		if got := strings.Join(res.Export, ","); got != tc.export {
			t.Errorf("%s export = %q, want %q", tc.client, got, tc.export)
		}
		if !strings.Contains(strings.Join(res.Notes, "\n"), tc.note) {
			t.Errorf("%s notes %q lack %q", tc.client, res.Notes, tc.note)
		}
	}
}

// TestAuthSwitch moves an entry from API key to OAuth and back: the header (and a headers
// object left empty) goes, other headers the user added stay.
func TestAuthSwitch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.req(Cursor)
	path := filepath.Join(f.proj, ".cursor", "mcp.json")
	writeFile(t, path, `{
  "mcpServers": {
    "demo": {
      "url": "`+testURL+`",
      "headers": {
        "x-api-key": "${env:MCP_API_KEY}",
        "x-tenant": "acme"
      }
    }
  }
}
`, 0o644)
	r.Auth = AuthOAuth
	apply(t, r)
	got := string(read(t, path))
	if strings.Contains(got, "x-api-key") || !strings.Contains(got, `"x-tenant": "acme"`) {
		t.Errorf("after switching to oauth:\n%s", got)
	}
	r.Auth = AuthAPIKey
	apply(t, r)
	if got := string(read(t, path)); !strings.Contains(got, `"x-api-key": "${env:MCP_API_KEY}"`) || !strings.Contains(got, `"x-tenant": "acme"`) {
		t.Errorf("after switching back:\n%s", got)
	}

	// Without other headers, the headers object goes entirely.
	r2 := f.req(Gemini)
	apply(t, r2)
	r2.Auth = AuthNone
	apply(t, r2)
	if got := string(read(t, filepath.Join(f.proj, ".gemini", "settings.json"))); strings.Contains(got, "headers") {
		t.Errorf("empty headers object left behind:\n%s", got)
	}
}

// TestVSCodeInputLifecycle: the promptString input is shared by every entry using the
// key and removed with the last of them; a user's description is kept.
func TestVSCodeInputLifecycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	path := filepath.Join(f.proj, ".vscode", "mcp.json")
	a, b := f.req(VSCode), f.req(VSCode)
	b.Name = "demo-staging"
	apply(t, a)
	apply(t, b)
	doc := string(read(t, path))
	if strings.Count(doc, `"id": "mcp-api-key"`) != 1 || strings.Count(doc, `"password": true`) != 1 {
		t.Errorf("one shared input expected:\n%s", doc)
	}
	// A user's own description wins over ours.
	edited := strings.Replace(doc, `"description": "API key for MCP servers made with mcpctl (MCP_API_KEY in the project's .env)"`, `"description": "Team key"`, 1)
	writeFile(t, path, edited, 0o644)
	if res := apply(t, a); res.Action != Unchanged {
		t.Errorf("re-run after the user's edit: %s\n%s", res.Action, res.Diff)
	}
	a.Remove = true
	apply(t, a)
	if doc := string(read(t, path)); !strings.Contains(doc, `"id": "mcp-api-key"`) {
		t.Errorf("input removed while demo-staging still uses it:\n%s", doc)
	}
	b.Remove = true
	apply(t, b)
	if doc := string(read(t, path)); strings.Contains(doc, "mcp-api-key") {
		t.Errorf("input left behind:\n%s", doc)
	}
}

// A user's own (empty) "inputs" array survives connect and --remove.
func TestVSCodeRemoveKeepsTheUsersInputs(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	path := filepath.Join(f.proj, ".vscode", "mcp.json")
	os.MkdirAll(filepath.Dir(path), 0o755)
	orig := "{\n  \"servers\": {},\n  \"inputs\": []\n}\n"
	writeFile(t, path, orig, 0o644)
	r := f.req(VSCode)
	apply(t, r)
	r.Remove = true
	apply(t, r)
	doc := string(read(t, path))
	if !strings.Contains(doc, `"inputs": []`) || strings.Contains(doc, "mcp-api-key") {
		t.Errorf("after connect and --remove:\n%s", doc)
	}
}

func TestSymlinkedFileWrittenThrough(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	real := filepath.Join(f.home, "dotfiles", "mcp.json")
	writeFile(t, real, "{}\n", 0o600)
	link := filepath.Join(f.home, ".cursor", "mcp.json")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, link); err != nil {
		t.Skip("symlinks unavailable:", err)
	}
	r := f.req(Cursor)
	r.Scope = ScopeUser
	res := apply(t, r)
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatal("the symlink was replaced by a file")
	}
	if !strings.Contains(string(read(t, real)), testURL) {
		t.Error("the link's target was not updated")
	}
	if res.Backup != real+".bak" {
		t.Errorf("backup = %q, want next to the target", res.Backup)
	}
}

// TestCRLFAndCompactFiles: inserted text follows the file's line endings and layout.
func TestCRLFAndCompactFiles(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	path := filepath.Join(f.proj, ".cursor", "mcp.json")
	writeFile(t, path, "{\r\n    \"mcpServers\": {\r\n        \"other\": {\"url\": \"https://x.example/mcp\"}\r\n    }\r\n}\r\n", 0o644)
	apply(t, f.req(Cursor))
	got := string(read(t, path))
	if strings.Count(got, "\n") != strings.Count(got, "\r\n") {
		t.Errorf("mixed line endings:\n%q", got)
	}
	if !strings.Contains(got, "\r\n        \"demo\": {\r\n            \"url\"") {
		t.Errorf("not indented like the file (4 spaces):\n%s", got)
	}

	path = filepath.Join(f.proj, ".mcp.json")
	writeFile(t, path, `{"mcpServers":{"other":{"type":"http","url":"https://x.example/mcp"}}}`, 0o644)
	apply(t, f.req(ClaudeCode))
	want := `{"mcpServers":{"other":{"type":"http","url":"https://x.example/mcp"},"demo":{"type":"http","url":"` + testURL + `","headers":{"x-api-key":"${MCP_API_KEY}"}}}}`
	if got := string(read(t, path)); got != want {
		t.Errorf("compact file:\n got %s\nwant %s", got, want)
	}
}

func TestByteOrderMarkKept(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	path := filepath.Join(f.proj, ".vscode", "mcp.json")
	writeFile(t, path, "\uFEFF{\n\t\"servers\": {}\n}\n", 0o644)
	apply(t, f.req(VSCode))
	got := read(t, path)
	if !bytes.HasPrefix(got, []byte("\uFEFF{\n\t\"servers\": {\n\t\t\"demo\": {")) {
		t.Errorf("got:\n%q", got)
	}
}

func TestEmptyFileIsEmptyObject(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	path := filepath.Join(f.proj, ".cursor", "mcp.json")
	writeFile(t, path, "\n", 0o644)
	res := apply(t, f.req(Cursor))
	if res.Action != Updated || !strings.Contains(string(read(t, path)), `"demo"`) {
		t.Errorf("%s:\n%s", res.Action, read(t, path))
	}
}

func TestNoKeyInFiles(t *testing.T) {
	t.Parallel()
	const key = "mcpk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	f := newFixture(t)
	for _, cs := range fileClients() {
		r := f.req(cs.client)
		r.Scope, r.APIKey = cs.scope, key // even when the key is at hand, it must not be written
		res := apply(t, r)
		if bytes.Contains(read(t, res.Path), []byte(key)) {
			t.Errorf("%s/%s: key written to %s", cs.client, cs.scope, res.Path)
		}
	}
	// The one exception, which the result states: Claude Desktop via mcp-remote.
	r := f.req(ClaudeDesktop)
	r.Via, r.APIKey, r.DryRun = ViaMCPRemote, key, true
	res := apply(t, r)
	if strings.Contains(res.Diff, key) || !strings.Contains(res.Diff, "mcpk_••••••••") {
		t.Errorf("the dry-run diff shows the key:\n%s", res.Diff)
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "plaintext") {
		t.Errorf("notes do not warn about the plaintext key: %q", res.Notes)
	}
}

func TestOAuthEntriesNameRedirectURIs(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.req(Cursor)
	r.Auth = AuthOAuth
	res := apply(t, r)
	joined := strings.Join(res.Notes, "\n")
	if !strings.Contains(joined, "cursor://anysphere.cursor-mcp/oauth/callback") || !strings.Contains(joined, "dynamic client registration") {
		t.Fatalf("notes do not say what to register:\n%s", joined)
	}
	if strings.Contains(string(read(t, res.Path)), "headers") {
		t.Fatal("an OAuth entry got headers")
	}
}
