package e2e

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcpctl/mcpctl/keys"
)

// TestJourney drives a new user's first hour the way README.md writes it, with its own
// commands: the quick start's line (build mcpctl to ~/.local/bin, init in ~, dev), the
// second terminal's check and Inspector commands, then an edit that reloads, connect,
// keys new, deploy heroku (the fake), a second deploy with no change, keys rotate, and a
// deploy again. HOME is new and ~/.local/bin is not on PATH. It runs twice: in ~, and in
// a folder of a larger repository (a monorepo), which must deploy only that folder.
func TestJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("the journey builds mcpctl and deploys twice")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	quick, second := quickStart(t, string(readme))
	t.Run("home", func(t *testing.T) { journey(t, quick, second, "") })
	t.Run("monorepo", func(t *testing.T) { journey(t, quick, second, "mono/services") })
}

// quickStart returns README's quick-start line and the block for the second terminal.
func quickStart(t *testing.T, readme string) (string, string) {
	t.Helper()
	_, rest, ok := strings.Cut(readme, "## Quick start")
	if !ok {
		t.Fatal("README has no Quick start")
	}
	var blocks []string
	for len(blocks) < 2 {
		_, after, ok := strings.Cut(rest, "```sh\n")
		if !ok {
			t.Fatalf("README's quick start has %d sh blocks, want 2", len(blocks))
		}
		block, after2, _ := strings.Cut(after, "```")
		blocks = append(blocks, strings.TrimSpace(block))
		rest = after2
	}
	if strings.Contains(blocks[0], "\n") || !strings.HasSuffix(blocks[0], "mcpctl dev") || !strings.Contains(blocks[0], "cd ~ &&") {
		t.Fatalf("the quick start is not one line that ends with `mcpctl dev`:\n%s", blocks[0])
	}
	return blocks[0], blocks[1]
}

// user is the new user's shell: a fresh HOME, mcpctl not on PATH, the fake heroku on it.
type user struct {
	t    *testing.T
	home string
	env  []string
}

func (u *user) cmd(dir, name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Dir = dir
	c.Env = append(os.Environ(), u.env...)
	return c
}

// sh runs a README line with the user's shell and fails the test when it fails.
func (u *user) sh(dir, script string) string {
	u.t.Helper()
	out, err := u.cmd(dir, "sh", "-ec", script).CombinedOutput()
	if err != nil {
		u.t.Fatalf("%s\n%v\n%s", script, err, out)
	}
	return string(out)
}

// mcpctl runs ~/.local/bin/mcpctl as the README names it.
func (u *user) mcpctl(dir string, args ...string) (string, string, int) {
	u.t.Helper()
	c := u.cmd(dir, filepath.Join(u.home, ".local", "bin", "mcpctl"), args...)
	var out, errOut strings.Builder
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		u.t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

func (u *user) mustMcpctl(dir string, args ...string) (string, string) {
	u.t.Helper()
	out, errOut, code := u.mcpctl(dir, args...)
	if code != 0 {
		u.t.Fatalf("mcpctl %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out, errOut
}

func journey(t *testing.T, quick, second, where string) {
	home := t.TempDir()
	fake := newFakeHeroku(t, fakeState{LoggedIn: true, Email: "dev@example.com"})
	goEnv := func(name string) string {
		out, err := exec.Command("go", "env", name).Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	u := &user{t: t, home: home, env: append([]string{
		"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "NO_COLOR=1", "CI=true",
		// A new machine's HOME, but the module and build caches of this one: the proxy
		// would serve the same modules, only slower.
		"GOPATH=" + goEnv("GOPATH"), "GOMODCACHE=" + goEnv("GOMODCACHE"), "GOCACHE=" + goEnv("GOCACHE"),
		"npm_config_cache=" + npmCache(),
	}, fake.env...)}
	for _, kv := range u.env {
		if strings.HasPrefix(kv, "PATH=") && strings.Contains(kv, filepath.Join(home, ".local", "bin")) {
			t.Fatal("~/.local/bin is on PATH; the quick start must work without it")
		}
	}

	// A larger repository, committed, with files that are not the project's.
	parent := home
	if where != "" {
		mono := filepath.Join(home, "mono")
		if err := os.MkdirAll(filepath.Join(home, where), 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(mono, "MONOREPO.txt"), []byte("not the project's\n"), 0o644)
		u.sh(mono, "git init --quiet && git add --all && git commit --quiet -m 'monorepo'")
		parent = filepath.Join(home, where)
	}
	dir := filepath.Join(parent, "weather")

	// 1. The quick start, as one line, from the checkout (..); dev on a free port.
	port := freePort(t)
	line := strings.TrimSuffix(quick, "mcpctl dev") + "mcpctl dev --port " + strconv.Itoa(port)
	if where != "" {
		line = strings.Replace(line, "cd ~ &&", "cd ~/"+where+" &&", 1)
	}
	dev := u.cmd("..", "sh", "-ec", line)
	dev.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	dev.Stdout, dev.Stderr = pw, pw
	lines := make(chan string, 4096)
	var devLog syncBuffer
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			devLog.Write([]byte(sc.Text() + "\n"))
			select {
			case lines <- sc.Text():
			default: // nobody waits for these lines
			}
		}
		close(lines)
	}()
	if err := dev.Start(); err != nil {
		t.Fatal(err)
	}
	devDone := make(chan error, 1)
	go func() { devDone <- dev.Wait(); pw.Close() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-dev.Process.Pid, syscall.SIGTERM)
		select {
		case <-devDone:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-dev.Process.Pid, syscall.SIGKILL)
			<-devDone
		}
	})
	waitLine := func(what string) {
		t.Helper()
		timeout := time.After(4 * time.Minute)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("the quick start ended before %q:\n%s", what, devLog.String())
				}
				if strings.Contains(l, what) {
					return
				}
			case <-timeout:
				t.Fatalf("no %q from the quick start:\n%s", what, devLog.String())
			}
		}
	}
	waitLine("ready: generation")

	// What init printed is runnable as printed: mcpctl by its path (it is not on PATH),
	// and whether it made a repository, in the summary rather than under the dashboard.
	log := devLog.String()
	if !strings.Contains(log, "~/.local/bin/mcpctl dev") {
		t.Errorf("init's next steps do not name ~/.local/bin/mcpctl:\n%s", log)
	}
	if where == "" && !strings.Contains(log, "Git: new repository with a first commit") {
		t.Errorf("init in ~ made no repository:\n%s", log)
	}
	if where != "" && !strings.Contains(log, "Git: NO repository created") {
		t.Errorf("init in a larger repository does not say it made none:\n%s", log)
	}

	// 2. The second terminal: README's block, on the port dev serves.
	block := strings.ReplaceAll(second, "127.0.0.1:8000", fmt.Sprintf("127.0.0.1:%d", port))
	block = strings.ReplaceAll(block, "cd ~/weather", "cd "+dir)
	block = strings.ReplaceAll(block, "\\\n", "")
	var inspector string
	var script []string
	for _, l := range strings.Split(block, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "npx ") {
			inspector = l
			continue
		}
		script = append(script, l)
	}
	if out := u.sh(home, strings.Join(script, "\n")); !strings.Contains(out, "Hello, Ada!") {
		t.Errorf("check --call say_hello:\n%s", out)
	}
	if inspector == "" {
		t.Error("README's quick start has no Inspector command")
	} else if _, err := exec.LookPath("npx"); err != nil {
		t.Log("npx is not installed: the Inspector command is not run")
	} else if out := u.sh(dir, inspector); !strings.Contains(out, `"say_hello"`) {
		t.Errorf("the Inspector listed no tools:\n%s", out)
	}

	// 3. An edit reloads: the greeting changes without restarting dev.
	hello := filepath.Join(dir, "tools", "hello.go")
	src, _ := os.ReadFile(hello)
	edited := strings.Replace(string(src), `"Hello, `, `"Howdy, `, 1)
	if edited == string(src) {
		t.Fatal("tools/hello.go has no greeting to edit")
	}
	os.WriteFile(hello, []byte(edited), 0o644)
	waitLine("generation 2 serving")
	// The project's own test knows the greeting too; deploy runs it.
	testFile := filepath.Join(dir, "tools", "tools_test.go")
	tsrc, _ := os.ReadFile(testFile)
	if !strings.Contains(string(tsrc), "Hello, Ada!") {
		t.Fatal("tools/tools_test.go does not test the greeting")
	}
	os.WriteFile(testFile, []byte(strings.ReplaceAll(string(tsrc), "Hello, Ada!", "Howdy, Ada!")), 0o644)
	out, _ := u.mustMcpctl(dir, "check", fmt.Sprintf("http://127.0.0.1:%d/mcp", port), "--call", "say_hello", "--args", `{"name":"Ada"}`)
	if !strings.Contains(out, "Howdy, Ada!") {
		t.Errorf("after the edit, check says:\n%s", out)
	}

	// 4. connect, keys new.
	u.mustMcpctl(dir, "connect", "cursor")
	if data, err := os.ReadFile(filepath.Join(dir, ".cursor", "mcp.json")); err != nil || !strings.Contains(string(data), "/mcp") {
		t.Fatalf(".cursor/mcp.json: %v\n%s", err, data)
	}
	u.mustMcpctl(dir, "keys", "new", "--name", "laptop")
	laptop := dotenv(t, dir)["MCP_API_KEY_LAPTOP"]
	if laptop == "" {
		t.Fatalf("keys new --name laptop wrote no key:\n%v", dotenv(t, dir))
	}

	// 5. deploy heroku --yes: commits what connect wrote and the app name, pushes only
	// the project's tree.
	_, errOut := u.mustMcpctl(dir, "deploy", "heroku", "--yes")
	if st := u.sh(dir, "git status --porcelain -- ."); st != "" {
		t.Errorf("the deploy left the project dirty:\n%s", st)
	}
	app := fake.app(t, "weather")
	if app == nil {
		t.Fatalf("no app on the fake heroku:\n%s", errOut)
	}
	if want := keys.HashList(keys.InEnv(dotenv(t, dir))); app.Config["MCP_API_KEY_HASHES"] != want {
		t.Errorf("app hashes %q, want %q", app.Config["MCP_API_KEY_HASHES"], want)
	}
	deployed := strings.Fields(u.sh(home, "git --git-dir="+filepath.Join(fake.dir, "weather.git")+" ls-tree --name-only main"))
	if !contains(deployed, "go.mod") || !contains(deployed, "Procfile") || contains(deployed, "MONOREPO.txt") || contains(deployed, "services") {
		t.Errorf("the app's tree is not the project's: %v", deployed)
	}
	if where != "" {
		if remotes := u.sh(dir, "git remote"); remotes != "" {
			t.Errorf("deploy added remotes to the larger repository: %q", remotes)
		}
		if st := u.sh(filepath.Join(home, "mono"), "git status --porcelain"); st != "" {
			t.Errorf("the larger repository is left dirty:\n%s", st)
		}
	}
	endpoint := fmt.Sprintf("http://127.0.0.1:%d/mcp", app.Port)
	check := func(env, key string) {
		t.Helper()
		c := u.cmd(dir, filepath.Join(home, ".local", "bin", "mcpctl"), "check", endpoint, "--key-env", env, "--retry-for", "30s")
		c.Env = append(c.Env, env+"="+key)
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("check %s with %s: %v\n%s", endpoint, env, err, out)
		}
	}
	check("MCP_API_KEY_LAPTOP", laptop)

	// 6. A second deploy with no change just works, and changes nothing on the app.
	head := u.sh(dir, "git rev-parse HEAD")
	before := len(fake.argv(t))
	u.mustMcpctl(dir, "deploy", "heroku")
	for _, c := range fake.argv(t)[before:] {
		if strings.HasPrefix(c, "config:set") || strings.HasPrefix(c, "apps:create") {
			t.Errorf("the second deploy ran `heroku %s`", c)
		}
	}
	if after := u.sh(dir, "git rev-parse HEAD"); after != head {
		t.Error("the second deploy made a commit")
	}

	// 7. keys rotate, then deploy again: the new key works on the app.
	u.mustMcpctl(dir, "keys", "rotate")
	u.mustMcpctl(dir, "deploy", "heroku")
	check("MCP_API_KEY", dotenv(t, dir)["MCP_API_KEY"])
	check("MCP_API_KEY_LAPTOP", laptop)
}

// npmCache is this machine's npm cache, so that npx need not fetch the Inspector again.
func npmCache() string {
	if out, err := exec.Command("npm", "config", "get", "cache").Output(); err == nil {
		return strings.TrimSpace(string(out))
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".npm")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
