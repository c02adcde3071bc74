package e2e

// What the end-to-end tests of every deploy platform share: the fake platform CLIs and
// the checks of a deploy.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
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

// fakeCLI is a fake platform CLI first on PATH, with its state (a JSON file) and the
// log of the command lines it ran in dir.
type fakeCLI struct {
	dir string
	env []string
}

// fakePlatform is one test's fake platform whose state is an S.
type fakePlatform[S any] struct{ *fakeCLI }

// newFakePlatform starts the fake called name in state st. The fake starts servers as
// the platform would; servers lists their process groups, stopped with the test.
func newFakePlatform[S any](t *testing.T, name string, st S, servers func(S) []int) fakePlatform[S] {
	t.Helper()
	f := fakePlatform[S]{&fakeCLI{dir: t.TempDir()}}
	f.write(t, st)
	f.env = append([]string{"FAKE_" + strings.ToUpper(name) + "_DIR=" + f.dir, "PATH=" + fakeBin(t, name) + string(os.PathListSeparator) + os.Getenv("PATH")}, gitEnv...)
	t.Cleanup(func() {
		for _, pid := range servers(f.state(t)) {
			if pid > 0 {
				_ = syscall.Kill(-pid, syscall.SIGKILL)
			}
		}
	})
	return f
}

func (f fakePlatform[S]) state(t *testing.T) S {
	t.Helper()
	var st S
	data, err := os.ReadFile(filepath.Join(f.dir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func (f *fakeCLI) write(t *testing.T, state any) {
	t.Helper()
	data, _ := json.Marshal(state)
	if err := os.WriteFile(filepath.Join(f.dir, "state.json"), data, 0o644); err != nil {
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

// deployFails runs `mcpctl deploy args…` in dir against fake and wants it to fail with
// stderr saying what, and without the fake running the command never ("": any).
func deployFails(t *testing.T, dir string, fake *fakeCLI, args []string, what, never string) {
	t.Helper()
	out, errOut, code := mcpctl(t, dir, fake.env, append([]string{"deploy"}, args...)...)
	if code == 0 {
		t.Fatalf("exit 0\n%s\n%s", out, errOut)
	}
	if !strings.Contains(errOut, what) {
		t.Errorf("stderr does not mention %q:\n%s", what, errOut)
	}
	if never != "" && hasCall(fake.argv(t), never) {
		t.Errorf("ran `%s` anyway", never)
	}
}

// deployDryRun runs `mcpctl deploy args… --dry-run` in dir against fake, wants it to
// change nothing (mcpctl.toml, the work tree, the platform: the fake ran only commands
// starting with one of asks) and returns its stdout.
func deployDryRun(t *testing.T, dir string, fake *fakeCLI, asks []string, args ...string) string {
	t.Helper()
	toml, _ := os.ReadFile(filepath.Join(dir, "mcpctl.toml"))
	n := len(fake.argv(t))
	out, errOut, code := mcpctl(t, dir, fake.env, append(append([]string{"deploy"}, args...), "--dry-run")...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, c := range fake.argv(t)[n:] {
		if !slices.ContainsFunc(asks, func(a string) bool { return strings.HasPrefix(c, a) }) {
			t.Errorf("a dry run ran `%s`", c)
		}
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "mcpctl.toml")); string(after) != string(toml) {
		t.Error("a dry run changed mcpctl.toml")
	}
	if st := run(t, dir, "git", "status", "--porcelain"); st != "" {
		t.Errorf("a dry run left changes:\n%s", st)
	}
	return out
}

// breakEndpoint commits a change to the generated server called name that builds,
// starts and passes every local check, but serves the MCP endpoint on the wrong path.
// fix commits the server as it was.
func breakEndpoint(t *testing.T, dir, name string) (fix func()) {
	t.Helper()
	mainGo := filepath.Join(dir, "cmd", name, "main.go")
	src, _ := os.ReadFile(mainGo)
	broken := strings.Replace(string(src), "\tif err == nil {\n", "\tcfg.Path = \"/oops\"\n\tif err == nil {\n", 1)
	if broken == string(src) {
		t.Fatal("could not break the server")
	}
	os.WriteFile(mainGo, []byte(broken), 0o644)
	run(t, dir, "git", "commit", "--quiet", "-am", "Break the endpoint")
	return func() {
		os.WriteFile(mainGo, src, 0o644)
		run(t, dir, "git", "commit", "--quiet", "-am", "Fix the endpoint")
	}
}
