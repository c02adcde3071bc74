// Package layers guards the package layering: a package imports only packages on its
// own layer or below. The table below is the one place the layers are written down.
package layers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// layers lists mcpctl's packages from the bottom up, by path inside the module ("." is
// the module root). "dir/..." covers dir's subpackages (a new platform under deployers/
// needs no edit). A package may import packages on its own layer or a lower one.
var layers = []struct {
	name     string
	packages []string
}{
	{"plumbing", []string{"internal/atomicfile", "internal/envfile", "internal/executor", "internal/iostreams", "internal/statusmark", "internal/mcpwire"}},
	{"base", []string{"config", "keys", "templates", "gitrepo", "loadgen"}},
	{"contract", []string{"serverenv"}},
	{"domain", []string{"deployers", "scaffold", "runner", "runner/devproxy", "probe", "toolsurface", "toolgen", "bridge", "connect", "doctor", "playground"}},
	{"platforms", []string{"deployers/..."}},
	{"views", []string{"ui/devtui", "ui/deployui"}},
	{"commands", []string{"cmd", ".", "bench", "bench/bare"}},
	// Only tests import these; no package above may, so they sit on top.
	{"test support", []string{"internal/testproject", "internal/mcptest", "internal/fakeplatform", "internal/fakeheroku", "internal/fakegcloud", "e2e", "internal/layers"}},
}

const tableFile = "internal/layers/layers_test.go"

// layerOf returns the layer index of rel, or -1 when the table does not list it. An exact
// entry wins over a "dir/..." one.
func layerOf(rel string) int {
	sub := -1
	for i, l := range layers {
		for _, p := range l.packages {
			if p == rel {
				return i
			}
			if dir, ok := strings.CutSuffix(p, "/..."); ok && strings.HasPrefix(rel, dir+"/") {
				sub = i
			}
		}
	}
	return sub
}

type listError struct {
	Err         string
	ImportStack []string
}

type listed struct {
	ImportPath string
	Imports    []string
	Error      *listError
	DepsErrors []*listError
}

func TestLayering(t *testing.T) {
	t.Parallel()
	root := goOut(t, ".", "env", "GOMOD")
	if root == "" || root == "/dev/null" {
		t.Fatal("not inside the mcpctl module")
	}
	dir := filepath.Dir(root)
	module := goOut(t, dir, "list", "-m")
	// -e reports broken packages (an import cycle among them) instead of stopping.
	out := goOut(t, dir, "list", "-e", "-json=ImportPath,Imports,Error,DepsErrors", "./...")

	var problems []string
	cycles := map[string]bool{}
	dec := json.NewDecoder(strings.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		for _, e := range append(p.DepsErrors, p.Error) {
			if e == nil || !strings.Contains(e.Err, "import cycle") || len(e.ImportStack) == 0 {
				continue
			}
			// The stack runs from a root to the package seen twice: the cycle is its tail.
			stack := e.ImportStack
			last := stack[len(stack)-1]
			var cycle []string
			for i, pkg := range stack {
				if pkg == last {
					for _, c := range stack[i:] {
						cycle = append(cycle, relPath(module, c))
					}
					break
				}
			}
			if key := strings.Join(cycle, " → "); !cycles[key] {
				cycles[key] = true
				problems = append(problems, fmt.Sprintf("import cycle: %s\n  fix: the import that runs up a layer in %s closes it; move what it needs down", key, tableFile))
			}
		}
		rel := relPath(module, p.ImportPath)
		from := layerOf(rel)
		if from < 0 {
			problems = append(problems, fmt.Sprintf("%s is in no layer\n  fix: add %q to the layer it belongs to in %s", rel, rel, tableFile))
			continue
		}
		for _, imp := range p.Imports {
			if imp != module && !strings.HasPrefix(imp, module+"/") {
				continue
			}
			irel := relPath(module, imp)
			to := layerOf(irel)
			if to <= from { // an unlisted import is reported as a package of its own
				continue
			}
			problems = append(problems, fmt.Sprintf("%s (layer %q) imports %s (layer %q), which is higher\n"+
				"  fix: move what %s needs down into %s or a lower layer, or have %s hand it in (an interface or a func in its options);\n"+
				"  if the layering itself changed, move the package in %s",
				rel, layers[from].name, irel, layers[to].name, rel, layers[from].name, irel, tableFile))
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}

func TestLayerTableHasNoDuplicates(t *testing.T) {
	t.Parallel()
	seen := map[string]string{}
	for _, l := range layers {
		for _, p := range l.packages {
			if prev, ok := seen[p]; ok {
				t.Errorf("%s is listed in layers %q and %q", p, prev, l.name)
			}
			seen[p] = l.name
		}
	}
}

func relPath(module, importPath string) string {
	if importPath == module {
		return "."
	}
	return strings.TrimPrefix(importPath, module+"/")
}

// goOut runs the go command in dir and returns its trimmed standard output.
func goOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	c := exec.Command("go", args...)
	c.Dir = dir
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return strings.TrimSpace(string(out))
}
