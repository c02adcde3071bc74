package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/scaffold"
)

// generated renders a project (not built) and returns its directory.
func generated(t *testing.T) string {
	t.Helper()
	p := scaffold.Project{Dir: filepath.Join(t.TempDir(), "proj"), Name: "proj", Module: "example.com/proj", Path: "/mcp", Port: 8000, Auth: "apikey", Stateless: true}
	plan, _, err := p.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if err := scaffold.Apply(p.Dir, plan); err != nil {
		t.Fatal(err)
	}
	return p.Dir
}

func TestAddTool(t *testing.T) {
	dir := generated(t)
	registry := filepath.Join(dir, "tools", "tools.go")
	orig, _ := os.ReadFile(registry)

	f, out, _, _ := testFactory(t, dir)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"add", "tool"}, "needs one NAME"},
		{[]string{"add", "tool", "bad name"}, "1 to 64"},
		{[]string{"add", "tool", "x", "--kind", "graphql"}, "--kind"},
	} {
		err := execute(t, f, tc.args...)
		if !IsUsageError(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want a usage error mentioning %q", tc.args, err, tc.want)
		}
	}

	if err := execute(t, f, "add", "tool", "make_note", "--dry-run"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "create tools/make_note.go") || !strings.Contains(out.String(), "+ mcp.AddTool(s, makeNoteTool, makeNote)") {
		t.Errorf("dry run output:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "tools", "make_note.go")); err == nil {
		t.Fatal("--dry-run wrote the tool")
	}
	if now, _ := os.ReadFile(registry); string(now) != string(orig) {
		t.Fatal("--dry-run edited tools.go")
	}

	out.Reset()
	if err := execute(t, f, "add", "tool", "make_note", "--kind", "progress"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"make_note.go", "make_note_test.go"} {
		if _, err := os.Stat(filepath.Join(dir, "tools", p)); err != nil {
			t.Errorf("tools/%s not written", p)
		}
	}
	err := execute(t, f, "add", "tool", "make_note")
	var h Hinter
	if err == nil || !strings.Contains(err.Error(), "exists already") || !asHinter(err, &h) || h.Hint() == "" {
		t.Errorf("adding it again: %v", err)
	}
}

func asHinter(err error, h *Hinter) bool {
	v, ok := err.(Hinter)
	*h = v
	return ok
}
