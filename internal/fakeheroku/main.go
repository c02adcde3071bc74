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
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/mcpctl/mcpctl/internal/fakeplatform"
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
	// Calls, FaultAt and Fault script a fault at the FaultAt-th call.
	fakeplatform.Faults
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
	cli := fakeplatform.New("fakeheroku", "FAKE_HEROKU_DIR", " ›   Error: fault injected (connection reset)")
	if len(os.Args) > 1 && os.Args[1] == "__build" {
		os.Exit(build(cli, os.Args[2]))
	}
	st := &State{}
	cli.Main(st, &st.Faults, func(args []string) int {
		if st.Apps == nil {
			st.Apps = map[string]*App{}
		}
		return dispatch(cli, st, args)
	})
}

func dispatch(cli *fakeplatform.CLI, st *State, args []string) int {
	dir := cli.Dir
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
		fakeplatform.PrintJSON(map[string]any{"app": appJSON(dir, app), "dynos": dynos})
	case "apps:create":
		if len(pos) != 1 {
			return usage("apps:create needs a name")
		}
		name := pos[0]
		if st.Apps[name] != nil || slices.Contains(st.Taken, name) {
			fmt.Fprintf(os.Stderr, " ›   Error: Name %s is already taken\n", name)
			return 1
		}
		port, err := fakeplatform.FreePort()
		if err != nil {
			cli.Fail(err.Error())
		}
		app = &App{Name: name, Region: flags["region"], Port: port, Config: map[string]string{}, WebDynos: 1,
			Releases: []Release{{Version: 1, Description: "Initial release", Config: map[string]string{}}}}
		if err := makeRemote(dir, name); err != nil {
			cli.Fail(err.Error())
		}
		st.Apps[name] = app
		fakeplatform.PrintJSON(appJSON(dir, app))
	case "git:remote":
		if !needApp() {
			return 1
		}
		url := remotePath(dir, appName)
		if exec.Command("git", "remote", "get-url", "heroku").Run() == nil {
			run(cli, "git", "remote", "set-url", "heroku", url)
		} else {
			run(cli, "git", "remote", "add", "heroku", url)
		}
		fmt.Printf("set git remote heroku to %s\n", url)
	case "config":
		if !needApp() {
			return 1
		}
		fakeplatform.PrintJSON(app.Config)
	case "config:set", "config:unset":
		if !needApp() {
			return 1
		}
		next := fakeplatform.CopyMap(app.Config)
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
		app.Releases = append(app.Releases, Release{Version: cur.Version + 1, Description: "Set config vars", Slug: cur.Slug, Config: fakeplatform.CopyMap(next)})
		restart(cli, app)
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
		fakeplatform.PrintJSON(out)
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
		app.Config = fakeplatform.CopyMap(target.Config)
		app.Releases = append(app.Releases, Release{Version: app.current().Version + 1, Description: fmt.Sprintf("Rollback to v%d", v), Slug: target.Slug, Config: fakeplatform.CopyMap(target.Config)})
		restart(cli, app)
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
		n, _ := strconv.Atoi(flags["n"])
		cli.PrintLogs(appName, n)
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
func build(cli *fakeplatform.CLI, name string) int {
	dir := cli.Dir
	st, err := load(cli)
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
	if err := fakeplatform.GoBuild(slug, os.Stdout, append([]string{"-o", "bin/"}, pkgs...)...); err != nil {
		fmt.Println(" !     Push rejected, failed to compile Go app.")
		return 1
	}
	if _, err := os.Stat(filepath.Join(slug, "Procfile")); err != nil {
		fmt.Println(" !     No Procfile: no web process.")
		return 1
	}
	fmt.Println("-----> Discovering process types")
	fmt.Println("       Procfile declares types -> web")
	app.Releases = append(app.Releases, Release{Version: version, Description: "Deploy " + newRev[:7], Slug: slug, Config: fakeplatform.CopyMap(app.Config)})
	restart(cli, app)
	if err := cli.Save(st); err != nil {
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
func restart(cli *fakeplatform.CLI, app *App) {
	fakeplatform.Stop(app.PID)
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
	argv[0] = filepath.Join(cur.Slug, argv[0])
	web := fakeplatform.Web{Argv: argv, Dir: cur.Slug, Port: app.Port, Log: cli.LogPath(app.Name)}
	for k, v := range app.Config {
		web.Env = append(web.Env, k+"="+v)
	}
	c, err := web.Start()
	if err != nil {
		return // in the app's log, as on Heroku
	}
	app.PID = c.Process.Pid
	_ = c.Process.Release()
}

func load(cli *fakeplatform.CLI) (*State, error) {
	st := &State{}
	if err := cli.Load(st); err != nil {
		return nil, err
	}
	if st.Apps == nil {
		st.Apps = map[string]*App{}
	}
	return st, nil
}

func run(cli *fakeplatform.CLI, name string, args ...string) {
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		cli.Fail(fmt.Sprintf("%s %v: %v: %s", name, args, err, out))
	}
}

func usage(msg string) int {
	fmt.Fprintln(os.Stderr, " ›   Error: "+msg)
	return 2
}
