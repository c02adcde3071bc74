//go:build unix

// Command fakeheroku stands in for the Heroku CLI in tests. It keeps its state (apps,
// config vars, releases) in $FAKE_HEROKU_DIR/state.json, records every command line in
// $FAKE_HEROKU_DIR/argv.log, and emulates outputs, exit codes and scripted failures.
//
// Like Heroku, each app gets a git remote (a local bare repository) whose pre-receive hook
// builds what was pushed the way the Go buildpack does (the go.mod `+heroku install`
// directive, binaries into bin/) and starts the Procfile's web process with PORT and the
// app's config vars, on the app's own loopback port: its web URL.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// State is the fake platform. Tests write Fail, Taken and LoggedIn, and read the rest.
type State struct {
	LoggedIn bool            `json:"logged_in"`
	Email    string          `json:"email"`
	Apps     map[string]*App `json:"apps"`
	// Taken lists app names that belong to someone else.
	Taken []string `json:"taken"`
	// Fail makes a subcommand (such as "config:set") fail with this stderr and exit 1;
	// "build" makes the remote reject pushes with this build output.
	Fail map[string]string `json:"fail"`

	// Calls counts invocations. When it reaches FaultAt, Fault happens to that call:
	// "fail" (exit 1, nothing applied), "fail-after" (applied, then exit 1), "kill-before"
	// and "kill-after" (SIGKILL to the calling process, mcpctl, before or after applying),
	// "die-before" and "die-after" (the CLI SIGKILLs itself), "hang-before" and
	// "hang-after" (never returns, until killed).
	Calls   int    `json:"calls"`
	FaultAt int    `json:"fault_at,omitempty"`
	Fault   string `json:"fault,omitempty"`
}

// App is one fake app.
type App struct {
	Name     string            `json:"name"`
	Region   string            `json:"region"`
	Port     int               `json:"port"`
	Config   map[string]string `json:"config"`
	Releases []Release         `json:"releases"` // oldest first
	PID      int               `json:"pid"`
	WebDynos int               `json:"web_dynos"`
	// DynoSize is the web dynos' size as the Platform API names it; "Basic" when empty.
	DynoSize string `json:"dyno_size,omitempty"`
}

// Release is one release; Slug is the built directory, empty for config-only releases.
type Release struct {
	Version     int               `json:"version"`
	Description string            `json:"description"`
	Slug        string            `json:"slug"`
	Config      map[string]string `json:"config"`
}

func main() {
	dir := os.Getenv("FAKE_HEROKU_DIR")
	if dir == "" {
		fmt.Fprintln(os.Stderr, "fakeheroku: FAKE_HEROKU_DIR is not set")
		os.Exit(2)
	}
	if len(os.Args) > 1 && os.Args[1] == "__build" {
		os.Exit(build(dir, os.Args[2]))
	}
	logArgv(dir)
	st, err := load(dir)
	if err != nil {
		fail(err.Error())
	}
	st.Calls++
	fault := ""
	if st.FaultAt > 0 && st.Calls == st.FaultAt {
		fault = st.Fault
	}
	if strings.HasSuffix(fault, "-before") || fault == "fail" {
		if err := save(dir, st); err != nil {
			fail(err.Error())
		}
		injure(fault)
	}
	code := dispatch(dir, st, os.Args[1:])
	if err := save(dir, st); err != nil {
		fail(err.Error())
	}
	injure(fault)
	os.Exit(code)
}

// injure does what a fault says to the running call; it returns for no fault.
func injure(fault string) {
	switch strings.TrimSuffix(strings.TrimSuffix(fault, "-before"), "-after") {
	case "fail":
		fmt.Fprintln(os.Stderr, " ›   Error: fault injected (connection reset)")
		os.Exit(1)
	case "kill":
		_ = syscall.Kill(os.Getppid(), syscall.SIGKILL)
		os.Exit(1)
	case "die":
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	case "hang":
		for { // a bare select{} would be a detected deadlock, not a hang
			time.Sleep(time.Hour)
		}
	}
}

func dispatch(dir string, st *State, args []string) int {
	if len(args) == 0 {
		return usage("no command")
	}
	sub, rest := args[0], args[1:]
	if msg, ok := st.Fail[sub]; ok {
		fmt.Fprintln(os.Stderr, msg)
		return 1
	}
	if sub != "help" && sub != "--version" && !st.LoggedIn {
		fmt.Fprintln(os.Stderr, " ›   Error: not logged in")
		return 100
	}
	flags, pos := parse(rest)
	appName := flags["a"]
	app := st.Apps[appName]
	needApp := func() bool {
		if app == nil {
			fmt.Fprintln(os.Stderr, " ›   Error: Couldn't find that app.")
			return false
		}
		return true
	}
	switch sub {
	case "auth:whoami":
		fmt.Println(st.Email)
	case "apps:info":
		if !needApp() {
			return 1
		}
		dynos := []map[string]string{}
		for i := 1; i <= app.WebDynos; i++ {
			size := app.DynoSize
			if size == "" {
				size = "Basic"
			}
			dynos = append(dynos, map[string]string{"name": fmt.Sprintf("web.%d", i), "type": "web", "state": "up", "size": size})
		}
		printJSON(map[string]any{"app": appJSON(dir, app), "dynos": dynos})
	case "apps:create":
		if len(pos) != 1 {
			return usage("apps:create needs a name")
		}
		name := pos[0]
		if st.Apps[name] != nil || slices.Contains(st.Taken, name) {
			fmt.Fprintf(os.Stderr, " ›   Error: Name %s is already taken\n", name)
			return 1
		}
		port, err := freePort()
		if err != nil {
			fail(err.Error())
		}
		app = &App{Name: name, Region: flags["region"], Port: port, Config: map[string]string{}, WebDynos: 1,
			Releases: []Release{{Version: 1, Description: "Initial release", Config: map[string]string{}}}}
		if err := makeRemote(dir, name); err != nil {
			fail(err.Error())
		}
		st.Apps[name] = app
		printJSON(appJSON(dir, app))
	case "git:remote":
		if !needApp() {
			return 1
		}
		url := remotePath(dir, appName)
		if exec.Command("git", "remote", "get-url", "heroku").Run() == nil {
			run("git", "remote", "set-url", "heroku", url)
		} else {
			run("git", "remote", "add", "heroku", url)
		}
		fmt.Printf("set git remote heroku to %s\n", url)
	case "config":
		if !needApp() {
			return 1
		}
		printJSON(app.Config)
	case "config:set", "config:unset":
		if !needApp() {
			return 1
		}
		next := copyMap(app.Config)
		for _, p := range pos {
			if sub == "config:set" {
				k, v, ok := strings.Cut(p, "=")
				if !ok {
					return usage("config:set takes KEY=value")
				}
				next[k] = v
				fmt.Printf("%s: %s\n", k, v)
			} else {
				delete(next, p)
			}
		}
		app.Config = next
		cur := app.current()
		app.Releases = append(app.Releases, Release{Version: cur.Version + 1, Description: "Set config vars", Slug: cur.Slug, Config: copyMap(next)})
		restart(dir, app)
	case "releases":
		if !needApp() {
			return 1
		}
		out := []map[string]any{}
		for i := len(app.Releases) - 1; i >= 0; i-- {
			r := app.Releases[i]
			var slug any
			if r.Slug != "" {
				slug = map[string]string{"id": filepath.Base(r.Slug)}
			}
			out = append(out, map[string]any{"version": r.Version, "status": "succeeded", "current": i == len(app.Releases)-1, "description": r.Description, "slug": slug})
		}
		printJSON(out)
	case "releases:rollback":
		if !needApp() {
			return 1
		}
		v, _ := strconv.Atoi(strings.TrimPrefix(pos[0], "v"))
		var target *Release
		for i := range app.Releases {
			if app.Releases[i].Version == v {
				target = &app.Releases[i]
			}
		}
		if target == nil {
			fmt.Fprintf(os.Stderr, " ›   Error: no release v%d\n", v)
			return 1
		}
		app.Config = copyMap(target.Config)
		app.Releases = append(app.Releases, Release{Version: app.current().Version + 1, Description: fmt.Sprintf("Rollback to v%d", v), Slug: target.Slug, Config: copyMap(target.Config)})
		restart(dir, app)
		fmt.Printf("Rolling back %s... done, v%d\n", appName, v)
	case "ps:scale":
		if !needApp() {
			return 1
		}
		n, err := strconv.Atoi(strings.TrimPrefix(strings.Join(pos, ""), "web="))
		if len(pos) != 1 || !strings.HasPrefix(pos[0], "web=") || err != nil {
			return usage("ps:scale takes web=N")
		}
		app.WebDynos = n
		fmt.Printf("Scaling dynos... done, now running web at %d:Basic\n", n)
	case "ps:wait":
		if !needApp() {
			return 1
		}
	case "logs":
		if !needApp() {
			return 1
		}
		data, _ := os.ReadFile(filepath.Join(dir, appName+".log"))
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		n, _ := strconv.Atoi(flags["n"])
		if n > 0 && len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		fmt.Println(strings.Join(lines, "\n"))
	default:
		return usage("unknown command " + sub)
	}
	return 0
}

func (a *App) current() Release { return a.Releases[len(a.Releases)-1] }

// parse splits -a/--app and --flag value pairs from positional arguments.
func parse(args []string) (map[string]string, []string) {
	flags := map[string]string{}
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-a" || a == "--app":
			i++
			flags["a"] = args[i]
		case a == "--json":
			flags["json"] = "true"
		case a == "-n" || a == "--num" || a == "-w" || a == "--region":
			i++
			flags[strings.TrimLeft(a, "-")] = args[i]
		case strings.HasPrefix(a, "-"):
			flags[strings.TrimLeft(a, "-")] = "true"
		default:
			pos = append(pos, a)
		}
	}
	if flags["num"] != "" {
		flags["n"] = flags["num"]
	}
	return flags, pos
}

func appJSON(dir string, app *App) map[string]any {
	return map[string]any{
		"name":    app.Name,
		"web_url": fmt.Sprintf("http://127.0.0.1:%d/", app.Port),
		"git_url": remotePath(dir, app.Name),
		"region":  map[string]string{"name": app.Region},
	}
}

func remotePath(dir, name string) string { return filepath.Join(dir, name+".git") }

// makeRemote creates the app's bare repository with the build hook.
func makeRemote(dir, name string) error {
	repo := remotePath(dir, name)
	if out, err := exec.Command("git", "init", "--quiet", "--bare", repo).CombinedOutput(); err != nil {
		return fmt.Errorf("git init --bare: %v: %s", err, out)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	hook := fmt.Sprintf("#!/bin/sh\nFAKE_HEROKU_DIR=%q exec %q __build %q\n", dir, self, name)
	return os.WriteFile(filepath.Join(repo, "hooks", "pre-receive"), []byte(hook), 0o755)
}

// build runs as the remote's pre-receive hook: a non-zero exit rejects the push, as a
// failed build does on Heroku.
func build(dir, name string) int {
	st, err := load(dir)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	app := st.Apps[name]
	if msg, ok := st.Fail["build"]; ok {
		fmt.Println(msg)
		fmt.Println(" !     Push rejected.")
		return 1
	}
	var newRev string
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[2] == "refs/heads/main" {
			newRev = f[1]
		}
	}
	if newRev == "" {
		fmt.Println("push to main (git push heroku HEAD:main) to deploy")
		return 1
	}
	version := app.current().Version + 1
	slug := filepath.Join(dir, fmt.Sprintf("%s-slug-v%d", name, version))
	if err := os.MkdirAll(slug, 0o755); err != nil {
		fmt.Println(err)
		return 1
	}
	archive := exec.Command("sh", "-c", fmt.Sprintf("git archive --format=tar %s | tar -x -C %q", newRev, slug))
	if out, err := archive.CombinedOutput(); err != nil {
		fmt.Printf("extracting the push failed: %v\n%s", err, out)
		return 1
	}
	fmt.Println("-----> Building on the Heroku-24 stack (fake)")
	fmt.Println("-----> Go app detected")
	pkgs := installDirective(filepath.Join(slug, "go.mod"))
	fmt.Printf("-----> Running: go install -v -tags heroku %s\n", strings.Join(pkgs, " "))
	gobuild := exec.Command("go", append([]string{"build", "-o", "bin/"}, pkgs...)...)
	gobuild.Dir = slug
	gobuild.Env = cleanEnv()
	gobuild.Stdout, gobuild.Stderr = os.Stdout, os.Stdout
	if err := gobuild.Run(); err != nil {
		fmt.Println(" !     Push rejected, failed to compile Go app.")
		return 1
	}
	if _, err := os.Stat(filepath.Join(slug, "Procfile")); err != nil {
		fmt.Println(" !     No Procfile: no web process.")
		return 1
	}
	fmt.Println("-----> Discovering process types")
	fmt.Println("       Procfile declares types -> web")
	app.Releases = append(app.Releases, Release{Version: version, Description: "Deploy " + newRev[:7], Slug: slug, Config: copyMap(app.Config)})
	restart(dir, app)
	if err := save(dir, st); err != nil {
		fmt.Println(err)
		return 1
	}
	fmt.Printf("       Released v%d\n       %s deployed to Heroku\n", version, appJSON(dir, app)["web_url"])
	return 0
}

// installDirective reads the packages the Go buildpack installs, "." by default.
func installDirective(gomod string) []string {
	data, _ := os.ReadFile(gomod)
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "// +heroku install "); ok {
			return strings.Fields(rest)
		}
	}
	return []string{"."}
}

// restart stops the app's process and starts the current release's web process, as a
// release does on Heroku.
func restart(dir string, app *App) {
	stop(app.PID)
	app.PID = 0
	cur := app.current()
	if cur.Slug == "" {
		return
	}
	data, err := os.ReadFile(filepath.Join(cur.Slug, "Procfile"))
	if err != nil {
		return
	}
	var argv []string
	for _, line := range strings.Split(string(data), "\n") {
		if cmd, ok := strings.CutPrefix(line, "web:"); ok {
			argv = strings.Fields(cmd)
		}
	}
	if len(argv) == 0 {
		return
	}
	logf, err := os.OpenFile(filepath.Join(dir, app.Name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer logf.Close()
	c := exec.Command(filepath.Join(cur.Slug, argv[0]), argv[1:]...)
	c.Dir = cur.Slug
	c.Env = append(cleanEnv(), "PORT="+strconv.Itoa(app.Port))
	for k, v := range app.Config {
		c.Env = append(c.Env, k+"="+v)
	}
	c.Stdout, c.Stderr = logf, logf
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		fmt.Fprintf(logf, "starting %v: %v\n", argv, err)
		return
	}
	app.PID = c.Process.Pid
	_ = c.Process.Release()
}

// stop ends a process group and waits (bounded) until the process is gone, so the port
// is free for the next release.
func stop(pid int) {
	if pid <= 0 {
		return
	}
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	deadline := time.Now().Add(30 * time.Second)
	for syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
		// The process is not our child (the hook that started it has exited), so it
		// cannot be waited for; poll instead.
		time.Sleep(10 * time.Millisecond)
		if isZombie(pid) {
			break
		}
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}

func isZombie(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	f := strings.Fields(string(data))
	return len(f) > 2 && f[2] == "Z"
}

// cleanEnv drops the git hook's variables, which would confuse a nested go build.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") && !strings.HasPrefix(kv, "MCP_") && !strings.HasPrefix(kv, "PORT=") {
			env = append(env, kv)
		}
	}
	return env
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func load(dir string) (*State, error) {
	data, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if errors.Is(err, os.ErrNotExist) {
		return &State{Apps: map[string]*App{}}, nil
	}
	if err != nil {
		return nil, err
	}
	st := &State{}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, err
	}
	if st.Apps == nil {
		st.Apps = map[string]*App{}
	}
	return st, nil
}

func save(dir string, st *State) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "state.json.tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "state.json"))
}

func logArgv(dir string) {
	f, err := os.OpenFile(filepath.Join(dir, "argv.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		fail(err.Error())
	}
	defer f.Close()
	b, _ := json.Marshal(os.Args[1:])
	fmt.Fprintln(f, string(b))
}

func printJSON(v any) {
	b, _ := json.MarshalIndent(v, "", "  ")
	fmt.Println(string(b))
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func run(name string, args ...string) {
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		fail(fmt.Sprintf("%s %v: %v: %s", name, args, err, out))
	}
}

func usage(msg string) int {
	fmt.Fprintln(os.Stderr, " ›   Error: "+msg)
	return 2
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "fakeheroku: "+msg)
	os.Exit(1)
}
