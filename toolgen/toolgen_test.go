package toolgen

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/internal/testproject"
	"github.com/mcpctl/mcpctl/scaffold"
)

// A tools.go the user has edited: comments everywhere, a renamed parameter, an import
// alias, registrations that are not one-liners, code after the last one.
const edited = `// Package tools: my tools.
package tools

import (
	sdk "github.com/modelcontextprotocol/go-sdk/mcp" // aliased
)

// Register adds every tool.
func Register(srv *sdk.Server) {
	// greeting first
	sdk.AddTool(srv, helloTool, sayHello) // the classic

	w := newWeatherFromEnv()
	sdk.AddTool(srv, weatherTool(),
		w.getWeather) /* multi-line */

	if false {
		sdk.AddTool(srv, nestedTool, nested) // not top level: not an anchor
	}
	// trailing comment
}

func extra() {}
`

func TestRegisterKeepsEverythingElse(t *testing.T) {
	out, line, err := register([]byte(edited), "makeNoteTool", "makeNote")
	if err != nil {
		t.Fatal(err)
	}
	if line != "sdk.AddTool(srv, makeNoteTool, makeNote)" {
		t.Errorf("line %q", line)
	}
	want := "\t\tw.getWeather) /* multi-line */\n\tsdk.AddTool(srv, makeNoteTool, makeNote)\n"
	if !strings.Contains(string(out), want) {
		t.Fatalf("not inserted after the last registration:\n%s", out)
	}
	if back := bytes.Replace(out, []byte("\tsdk.AddTool(srv, makeNoteTool, makeNote)\n"), nil, 1); !bytes.Equal(back, []byte(edited)) {
		t.Fatalf("more than one line changed:\n%s", out)
	}
}

func TestRegisterIntoAnEmptyRegister(t *testing.T) {
	src := "package tools\n\nimport \"github.com/modelcontextprotocol/go-sdk/mcp\"\n\nfunc Register(s *mcp.Server) {\n\t// nothing yet\n}\n"
	out, _, err := register([]byte(src), "aTool", "a")
	if err != nil {
		t.Fatal(err)
	}
	want := "\t// nothing yet\n\tmcp.AddTool(s, aTool, a)\n}\n"
	if !strings.HasSuffix(string(out), want) {
		t.Fatalf("got:\n%s", out)
	}
	if _, _, err := register([]byte("package tools\n\nfunc other() {}\n"), "aTool", "a"); !errors.Is(err, errNoRegister) {
		t.Errorf("no Register: %v", err)
	}
}

func TestIdentifiers(t *testing.T) {
	for name, want := range map[string][2]string{
		"say_hello":  {"sayHello", "say_hello"},
		"fetch-page": {"fetchPage", "fetch_page"},
		"long.Job":   {"longJob", "long_job"},
		"2fa":        {"tool2fa", "2fa"},
		"func":       {"toolFunc", "func"},
		"len":        {"toolLen", "len"},
	} {
		if got := identifiers(name).Func; got != want[0] {
			t.Errorf("identifiers(%q).Func = %q, want %q", name, got, want[0])
		}
		if got := fileBase(name); got != want[1] {
			t.Errorf("fileBase(%q) = %q, want %q", name, got, want[1])
		}
	}
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"a", "say_hello", "get-weather.v2", strings.Repeat("x", 64)} {
		if err := CheckName(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "has space", strings.Repeat("x", 65), "héllo", "a/b", "---", "semi;colon"} {
		if err := CheckName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// snapshot returns every file under dir with its contents.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			files[p] = string(b)
		}
		return nil
	})
	return files
}

// Every kind, added to a generated project: the project builds, vets, and its tests
// (the generated ones included) pass. Refusals leave every file as it was.
func TestAddEveryKindToAGeneratedProject(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a generated project")
	}
	p := testproject.Build(t, scaffold.Project{Name: "gen"})
	for name, kind := range map[string]string{"make_note": "basic", "fetch-page": "http", "long.job": "progress"} {
		plan, err := Prepare(p.Dir, name, kind)
		if err != nil {
			t.Fatalf("%s %s: %v", kind, name, err)
		}
		if err := plan.Apply(p.Dir); err != nil {
			t.Fatal(err)
		}
	}
	registry, _ := os.ReadFile(filepath.Join(p.Dir, "tools", "tools.go"))
	for _, want := range []string{"mcp.AddTool(s, makeNoteTool, makeNote)", "mcp.AddTool(s, fetchPageTool, newFetchPageClient().fetchPage)", "mcp.AddTool(s, longJobTool, longJob)"} {
		if !strings.Contains(string(registry), want) {
			t.Errorf("tools.go lacks %s:\n%s", want, registry)
		}
	}
	for _, args := range [][]string{{"vet", "./..."}, {"test", "./tools/"}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = p.Dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	before := snapshot(t, p.Dir)
	for _, tc := range []struct{ name, kind, want string }{
		{"make_note", "basic", "exists already"},     // the same tool again
		{"say_hello", "basic", "exists already"},     // a tool of the template
		{"Make_Note", "basic", "tools/make_note.go"}, // another name, the same file
		{"say-hello", "basic", "already declares"},   // an identifier taken
		{"bad name", "basic", "1 to 64"},
		{"x", "graphql", "no tool kind"},
	} {
		_, err := Prepare(p.Dir, tc.name, tc.kind)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Prepare(%q, %s): %v, want an error mentioning %q", tc.name, tc.kind, err, tc.want)
		}
	}
	after := snapshot(t, p.Dir)
	if len(after) != len(before) {
		t.Fatalf("refusals wrote files")
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed by a refusal", k)
		}
	}
}
