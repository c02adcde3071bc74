package cmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/internal/iostreams"
)

func testFactory(t *testing.T, cwd string) (*Factory, *bytes.Buffer, *bytes.Buffer, *executor.Stub) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	stub := executor.NewStub(t)
	return &Factory{
		IOStreams: ios,
		Executor:  stub,
		Version:   "test",
		Getwd:     func() (string, error) { return cwd, nil },
		Getenv:    func(string) string { return "" },
	}, out, errOut, stub
}

// executeWith runs the command tree with cmd in place of the command of the same name, so
// a test can build that command around its own runF.
func executeWith(t *testing.T, f *Factory, cmd *cobra.Command, args ...string) error {
	t.Helper()
	root := NewRootCmd(f)
	for _, c := range root.Commands() {
		if c.Name() == cmd.Name() {
			root.RemoveCommand(c)
		}
	}
	root.AddCommand(cmd)
	root.SetArgs(args)
	return root.ExecuteContext(context.Background())
}

func execute(t *testing.T, f *Factory, args ...string) error {
	t.Helper()
	root := NewRootCmd(f)
	root.SetArgs(args)
	return root.ExecuteContext(context.Background())
}

func TestInitFlags(t *testing.T) {
	f, _, _, _ := testFactory(t, t.TempDir())
	var got *initOptions
	cmd := newInitCmd(f, func(_ context.Context, o *initOptions) error { got = o; return nil })
	if err := executeWith(t, f, cmd, "init", "dir", "--name", "my-app", "--module", "example.com/my-app", "--auth", "none", "--path", "/x", "--port", "9001", "--no-git", "--yes"); err != nil {
		t.Fatal(err)
	}
	p := got.Project
	if got.Dir != "dir" || p.Name != "my-app" || p.Module != "example.com/my-app" || p.Auth != "none" || p.Path != "/x" || p.Port != 9001 || !got.NoGit || !got.Yes {
		t.Fatalf("options %+v", got)
	}
	if !got.nameSet || !got.authSet || !got.pathSet || !got.portSet || !got.moduleSet {
		t.Fatal("flags not recorded as set")
	}
}

func TestInitUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"init", "a", "b"},
		{"init", "x", "--port", "http"},
		{"init", "x", "--auth", "oauth"},
		{"init", "--yes"},
		{"init", "Bad", "--yes"},
	} {
		f, _, _, _ := testFactory(t, t.TempDir())
		if err := execute(t, f, args...); !IsUsageError(err) {
			t.Errorf("%v: got %v, want a usage error", args, err)
		}
	}
}

// stubGitInit expects init's git steps outside a repository: init, stage, then the commit
// when git has an identity.
func stubGitInit(stub *executor.Stub, identity bool) {
	stub.On("git", []string{"rev-parse"}, executor.Result{}, &executor.ExitError{ExitCode: 128})
	stub.On("git", []string{"init"}, executor.Result{}, nil)
	stub.On("git", []string{"add", "--all"}, executor.Result{}, nil)
	stub.On("git", []string{"ls-files"}, executor.Result{}, nil)
	if !identity {
		stub.On("git", []string{"var"}, executor.Result{}, &executor.ExitError{ExitCode: 128})
		return
	}
	stub.On("git", []string{"var"}, executor.Result{Stdout: []byte("A <a@b> 1 +0000\n")}, nil)
	stub.On("git", []string{"commit"}, executor.Result{}, nil)
}

func TestInitRunsGit(t *testing.T) {
	cwd := t.TempDir()
	f, out, _, stub := testFactory(t, cwd)
	stubGitInit(stub, true)
	if err := execute(t, f, "init", "weather", "--yes"); err != nil {
		t.Fatal(err)
	}
	if unused := stub.Unused(); len(unused) > 0 {
		t.Errorf("git steps not run: %v (ran %v)", unused, stub.Calls())
	}
	if !strings.Contains(out.String(), "cd weather") || !strings.Contains(out.String(), "mcpctl dev") {
		t.Errorf("no next steps:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(cwd, "weather", "go.mod")); err != nil {
		t.Fatal(err)
	}
}

func TestInitWithoutGitInstalled(t *testing.T) {
	cwd := t.TempDir()
	f, out, _, stub := testFactory(t, cwd)
	stub.Missing = []string{"git"}
	if err := execute(t, f, "init", "weather", "--yes"); err != nil {
		t.Fatal(err)
	}
	if len(stub.Calls()) != 0 || !strings.Contains(out.String(), "Git: NO repository created: git is not installed") {
		t.Errorf("calls %v, stdout %q", stub.Calls(), out)
	}
}

// Without a git identity (a fresh machine) init stages the files and prints the commands
// that let deploy's commit happen.
func TestInitWithoutGitIdentitySaysHowToCommit(t *testing.T) {
	cwd := t.TempDir()
	f, out, _, stub := testFactory(t, cwd)
	stubGitInit(stub, false)
	if err := execute(t, f, "init", "weather", "--yes"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"staged but NOT committed", "git config --global user.email", "git commit -m"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
}

// Inside another repository init makes no nested one, and says so in the summary on
// stdout (a note on stderr was lost under the dashboard of a `&& mcpctl dev`).
func TestInitInsideRepositoryMakesNoNestedRepo(t *testing.T) {
	cwd := t.TempDir()
	f, out, _, stub := testFactory(t, cwd)
	stub.On("git", []string{"rev-parse"}, executor.Result{Stdout: []byte("/monorepo\n")}, nil)
	if err := execute(t, f, "init", "weather", "--yes"); err != nil {
		t.Fatal(err)
	}
	if calls := stub.Calls(); len(calls) != 1 {
		t.Errorf("calls %v", calls)
	}
	for _, want := range []string{"Git: NO repository created", "/monorepo", "pushes only this folder"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
}

// The next steps name mcpctl the way it was run, so that they work as printed after the
// `cd`, and quote paths with spaces.
func TestInitNextStepsCanBeCopied(t *testing.T) {
	home := t.TempDir()
	bin := filepath.Join(home, ".local", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(bin, "mcpctl")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	onPath := func(string) (string, error) { return exe, nil }
	notOnPath := func(string) (string, error) { return "", &executor.NotFoundError{Name: "mcpctl"} }
	for _, tc := range []struct {
		arg0, cwd string
		lookPath  func(string) (string, error)
		want      string
	}{
		{"mcpctl", "/anywhere", notOnPath, "mcpctl"},
		{exe, "/anywhere", onPath, "mcpctl"},
		{exe, "/anywhere", notOnPath, "~/.local/bin/mcpctl"},
		{"./mcpctl", bin, notOnPath, "~/.local/bin/mcpctl"},
		{"../bin/mcpctl", filepath.Join(home, ".local", "x"), notOnPath, "~/.local/bin/mcpctl"},
		{"/opt/my tools/mcpctl", "/", notOnPath, "'/opt/my tools/mcpctl'"},
		{"/tmp/go-build123/b001/exe/mcpctl", "/", notOnPath, "mcpctl"},
	} {
		if got, _ := invocation(tc.arg0, tc.cwd, home, tc.lookPath); got != tc.want {
			t.Errorf("invocation(%q from %s) = %q, want %q", tc.arg0, tc.cwd, got, tc.want)
		}
	}
	if got := shellQuote("it's here"); got != `'it'\''s here'` {
		t.Errorf("shellQuote = %s", got)
	}

	cwd := t.TempDir()
	f, out, _, stub := testFactory(t, cwd)
	stub.Missing = []string{"git", "mcpctl"}
	f.Arg0 = "/opt/my tools/mcpctl"
	if err := execute(t, f, "init", "my weather", "--name", "weather", "--yes"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"  cd 'my weather'\n", "  '/opt/my tools/mcpctl' dev ", "  '/opt/my tools/mcpctl' deploy heroku ", `export PATH="$PATH:/opt/my tools"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("next steps lack %q:\n%s", want, out)
		}
	}
}

func TestInitDryRunWritesNothing(t *testing.T) {
	cwd := t.TempDir()
	f, out, _, _ := testFactory(t, cwd)
	if err := execute(t, f, "init", "weather", "--yes", "--dry-run"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "cmd/weather/main.go") || !strings.Contains(out.String(), ".env") {
		t.Errorf("plan not printed:\n%s", out)
	}
	if entries, _ := os.ReadDir(cwd); len(entries) != 0 {
		t.Fatal("dry run wrote files")
	}
}

// The wizard runs only on a terminal; fed keystrokes, it produces the same project the
// flags would. With --auth oauth and no issuer, it asks for the provider. (Text fed all
// at once races with the form's focus changes, so there only the first field gets any
// and the other values are flags.)
func TestInitWizard(t *testing.T) {
	for _, tc := range []struct {
		name, keys string
		args, want []string
	}{
		// name, module (empty: default), auth (first option), path, port
		{"apikey", "wiz-app\r\r\r\r\r", []string{"init"}, []string{`name = "wiz-app"`, `auth = "apikey"`}},
		// issuer, then the defaults: audience (empty), scopes
		{"oauth", "https://id.example.com/\r\r\r",
			[]string{"init", "wiz-app", "--name", "wiz-app", "--module", "wiz", "--auth", "oauth", "--path", "/mcp", "--port", "8000"},
			[]string{`auth = "oauth"`, `issuer = "https://id.example.com/"`, `scopes = ["mcp:tools"]`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cwd := t.TempDir()
			f, _, _, stub := testFactory(t, cwd)
			stub.Missing = []string{"git"}
			f.IOStreams.SetTTY(true)
			f.IOStreams.In.(*bytes.Buffer).WriteString(tc.keys)
			if err := execute(t, f, tc.args...); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(cwd, "wiz-app", "mcpctl.toml"))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(data), w) {
					t.Errorf("mcpctl.toml lacks %s:\n%s", w, data)
				}
			}
		})
	}
}

func TestCompletion(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		f, out, _, _ := testFactory(t, t.TempDir())
		if err := execute(t, f, "completion", sh); err != nil || !strings.Contains(out.String(), "mcpctl") {
			t.Errorf("%s: %v, %d bytes", sh, err, out.Len())
		}
	}
	f, _, _, _ := testFactory(t, t.TempDir())
	if err := execute(t, f, "completion", "tcsh"); !IsUsageError(err) {
		t.Errorf("tcsh: %v", err)
	}
}

func TestVersion(t *testing.T) {
	f, out, _, _ := testFactory(t, t.TempDir())
	if err := execute(t, f, "--version"); err != nil || out.String() != "mcpctl test\n" {
		t.Fatalf("%v %q", err, out)
	}
}

func TestInitOAuthFlags(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		scopes string
	}{
		{[]string{"--auth", "oauth", "--issuer", "https://a.example.com/", "--audience", "https://w.example.com/mcp", "--scopes", "mcp:tools, weather:read"}, "mcp:tools weather:read"},
		// An issuer alone means OAuth.
		{[]string{"--issuer", "https://a.example.com/", "--audience", "https://w.example.com/mcp"}, ""},
	} {
		f, _, _, _ := testFactory(t, t.TempDir())
		var got *initOptions
		cmd := newInitCmd(f, func(_ context.Context, o *initOptions) error { got = o; return nil })
		if err := executeWith(t, f, cmd, append([]string{"init", "dir", "--yes"}, tc.args...)...); err != nil {
			t.Fatal(err)
		}
		p := got.Project
		if p.Auth != "oauth" || p.Issuer != "https://a.example.com/" || p.Audience != "https://w.example.com/mcp" || strings.Join(p.Scopes, " ") != tc.scopes || !got.authSet {
			t.Errorf("%v: project %+v", tc.args, p)
		}
	}
}

func TestInitOAuthUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"init", "x", "--yes", "--auth", "oauth"},
		{"init", "x", "--yes", "--auth", "apikey", "--issuer", "https://a.example.com/"},
		{"init", "x", "--yes", "--auth", "none", "--scopes", "mcp:tools"},
		{"init", "x", "--yes", "--auth", "oauth", "--issuer", "http://a.example.com/"},
		{"init", "x", "--yes", "--auth", "oauth", "--issuer", "https://a.example.com/", "--audience", "https://x.example.com/other"},
	} {
		cwd := t.TempDir()
		f, _, _, _ := testFactory(t, cwd)
		if err := execute(t, f, args...); !IsUsageError(err) {
			t.Errorf("%v: got %v, want a usage error", args, err)
		}
		if entries, _ := os.ReadDir(cwd); len(entries) != 0 {
			t.Errorf("%v: wrote %d entries", args, len(entries))
		}
	}
}

func TestInitOAuth(t *testing.T) {
	cwd := t.TempDir()
	f, out, _, stub := testFactory(t, cwd)
	stub.Missing = []string{"git"}
	if err := execute(t, f, "init", "weather", "--yes", "--auth", "oauth", "--issuer", "https://a.example.com/"); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"https://a.example.com/", "http://127.0.0.1:8000/mcp", "MCP_RESOURCE_URL", "mcp:tools"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("summary lacks %s:\n%s", w, out)
		}
	}
	if strings.Contains(out.String(), "API key") {
		t.Errorf("an OAuth project's summary mentions an API key:\n%s", out)
	}
	data, err := os.ReadFile(filepath.Join(cwd, "weather", "mcpctl.toml"))
	if err != nil || !strings.Contains(string(data), `issuer = "https://a.example.com/"`) {
		t.Fatalf("mcpctl.toml (%v):\n%s", err, data)
	}
	env, err := os.ReadFile(filepath.Join(cwd, "weather", ".env"))
	if err != nil || !strings.Contains(string(env), "MCP_RESOURCE_URL=http://127.0.0.1:8000/mcp\n") || strings.Contains(string(env), "MCP_API_KEY") {
		t.Fatalf(".env (%v):\n%s", err, env)
	}
}

// Every command's help shows how to use it.
func TestEveryCommandHasExamples(t *testing.T) {
	f, _, _, _ := testFactory(t, t.TempDir())
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.Hidden && c.Name() != "help" && c.Example == "" {
			t.Errorf("%s has no examples", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRootCmd(f))
}

// An absolute directory is used as given, not taken as relative to where mcpctl runs.
func TestInitAbsoluteDir(t *testing.T) {
	cwd, target := t.TempDir(), filepath.Join(t.TempDir(), "proj")
	f, _, _, stub := testFactory(t, cwd)
	stubGitInit(stub, true)
	if err := execute(t, f, "init", target, "--yes"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(target, "go.mod")); err != nil {
		t.Fatalf("project not at %s: %v", target, err)
	}
	if entries, _ := os.ReadDir(cwd); len(entries) != 0 {
		t.Errorf("init wrote into the working directory: %v", entries)
	}
}
