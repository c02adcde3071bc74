package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeBuild is one fake platform CLI (internal/fake<name>), built once per run.
type fakeBuild struct {
	once sync.Once
	dir  string // holds the executable, named as the real CLI
	err  error
}

var fakeBuilds = map[string]*fakeBuild{"heroku": {}, "gcloud": {}}

// fakeBin builds the fake CLI called name once and returns a directory to put first on
// PATH.
func fakeBin(t *testing.T, name string) string {
	t.Helper()
	b := fakeBuilds[name]
	b.once.Do(func() {
		b.dir = filepath.Join(filepath.Dir(mcpctlBin), "fake"+name+"bin")
		out, err := exec.Command("go", "build", "-o", filepath.Join(b.dir, name), "../internal/fake"+name).CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("building the fake %s: %v\n%s", name, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.dir
}

// fakeCLI is one test's fake platform: the fake CLI first on PATH, its state (a JSON
// file) and the log of the command lines it ran in dir.
type fakeCLI struct {
	dir string
	env []string
}

func newFakeCLI(t *testing.T, name string, state any) *fakeCLI {
	t.Helper()
	f := &fakeCLI{dir: t.TempDir()}
	f.write(t, state)
	f.env = append([]string{"FAKE_" + strings.ToUpper(name) + "_DIR=" + f.dir, "PATH=" + fakeBin(t, name) + string(os.PathListSeparator) + os.Getenv("PATH")}, gitEnv...)
	return f
}

func (f *fakeCLI) write(t *testing.T, state any) {
	t.Helper()
	data, _ := json.Marshal(state)
	if err := os.WriteFile(filepath.Join(f.dir, "state.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// read decodes the fake's state into state.
func (f *fakeCLI) read(t *testing.T, state any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(f.dir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, state); err != nil {
		t.Fatal(err)
	}
}

// argv returns every command line the fake ran so far, one string each.
func (f *fakeCLI) argv(t *testing.T) []string {
	t.Helper()
	data, _ := os.ReadFile(filepath.Join(f.dir, "argv.log"))
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" {
			continue
		}
		var args []string
		if err := json.Unmarshal([]byte(line), &args); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Join(args, " "))
	}
	return out
}

// hasCall reports whether one of calls starts with prefix.
func hasCall(calls []string, prefix string) bool {
	for _, c := range calls {
		if strings.HasPrefix(c, prefix) {
			return true
		}
	}
	return false
}
