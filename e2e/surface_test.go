package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// breakHello renames say_hello's argument: a removed property and a new required one.
func breakHello(t *testing.T, dir string) {
	t.Helper()
	path := filepath.Join(dir, "tools", "hello.go")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(src), "`json:\"name\" ", "`json:\"who\" ", 1)
	if edited == string(src) {
		t.Fatal("hello.go has no name argument to rename")
	}
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	// Its test follows, so the project's own checks pass.
	test := filepath.Join(dir, "tools", "tools_test.go")
	src, err = os.ReadFile(test)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(test, []byte(strings.ReplaceAll(string(src), `{"name": `, `{"who": `)), 0o644)
}

// The tool-surface diff between the deployed app and the project, by `mcpctl diff` and
// as the gate of `deploy heroku`: a breaking change is refused without a terminal unless
// --allow-breaking, and nothing is pushed.
func TestDiffAndDeployGate(t *testing.T) {
	dir := initProject(t, "surface-demo")
	fake := newFakeHeroku(t, fakeState{LoggedIn: true, Email: "dev@example.com"})

	// Nothing deployed yet: diff says so; the first deploy has nothing to compare with.
	if _, errOut, code := mcpctl(t, dir, fake.env, "diff"); code != 1 || !strings.Contains(errOut, "not deployed yet") {
		t.Fatalf("diff before a deploy exited %d:\n%s", code, errOut)
	}
	out, errOut, code := mcpctl(t, dir, fake.env, "deploy", "heroku")
	if code != 0 {
		t.Fatalf("first deploy exited %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "nothing deployed to compare with") {
		t.Errorf("first deploy did not say there is nothing to compare:\n%s", errOut)
	}
	run(t, dir, "git", "commit", "--quiet", "--allow-empty", "-am", "Record the app")

	out, errOut, code = mcpctl(t, dir, fake.env, "diff")
	if code != 0 || !strings.Contains(out, "no changes to the tools") {
		t.Fatalf("diff of an unchanged project exited %d:\n%s\n%s", code, out, errOut)
	}

	breakHello(t, dir)
	out, errOut, code = mcpctl(t, dir, fake.env, "diff", "--json")
	if code != 1 {
		t.Fatalf("diff with a breaking change exited %d:\n%s\n%s", code, out, errOut)
	}
	var d struct {
		Old, New string
		Breaking bool
		Changed  []string
		Changes  []struct {
			Tool, Kind, Where string
			Breaking          bool
		}
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if !d.Breaking || strings.Join(d.Changed, ",") != "say_hello" || !strings.HasPrefix(d.Old, "deployed http://127.0.0.1:") || d.New != "local" {
		t.Fatalf("diff %+v", d)
	}
	var kinds []string
	for _, c := range d.Changes {
		kinds = append(kinds, c.Where+" "+c.Kind)
	}
	if got := strings.Join(kinds, "; "); !strings.Contains(got, "input.name property removed") || !strings.Contains(got, "input.who property added") {
		t.Errorf("changes: %s", got)
	}
	// local against itself, and a saved list against local.
	if out, _, code := mcpctl(t, dir, nil, "diff", "local", "local"); code != 0 || !strings.Contains(out, "no changes") {
		t.Errorf("local vs local exited %d:\n%s", code, out)
	}
	saved := filepath.Join(t.TempDir(), "tools.json")
	os.WriteFile(saved, []byte(`{"tools":[{"name":"gone","inputSchema":{"type":"object"}}]}`), 0o644)
	if out, _, code := mcpctl(t, dir, nil, "diff", saved, "local"); code != 1 || !strings.Contains(out, "- gone: tool removed") {
		t.Errorf("file vs local exited %d:\n%s", code, out)
	}
	if _, errOut, code := mcpctl(t, dir, nil, "diff", "nowhere"); code != 2 || !strings.Contains(errOut, "not local, deployed") {
		t.Errorf("bad side exited %d:\n%s", code, errOut)
	}

	run(t, dir, "git", "commit", "--quiet", "-am", "Rename the argument")
	before := len(fake.argv(t))
	out, errOut, code = mcpctl(t, dir, fake.env, "deploy", "heroku")
	if code == 0 {
		t.Fatalf("a breaking deploy without a terminal went ahead:\n%s\n%s", out, errOut)
	}
	for _, want := range []string{"say_hello input.name", "(breaking)", "--allow-breaking"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("refusal does not mention %q:\n%s", want, errOut)
		}
	}
	for _, c := range fake.argv(t)[before:] {
		if strings.HasPrefix(c, "config:set") || strings.HasPrefix(c, "releases") {
			t.Errorf("a refused deploy ran `heroku %s`", c)
		}
	}
	if out, errOut, code := mcpctl(t, dir, fake.env, "deploy", "heroku", "--dry-run"); code != 0 || !strings.Contains(errOut, "a real deploy needs --allow-breaking") {
		t.Errorf("dry run exited %d:\n%s\n%s", code, out, errOut)
	}
	out, errOut, code = mcpctl(t, dir, fake.env, "deploy", "heroku", "--allow-breaking")
	if code != 0 || !strings.Contains(out, "Deployed surface-demo") {
		t.Fatalf("deploy --allow-breaking exited %d:\n%s\n%s", code, out, errOut)
	}
	if out, _, code := mcpctl(t, dir, fake.env, "diff"); code != 0 {
		t.Errorf("after shipping the change, diff exited %d:\n%s", code, out)
	}
}
