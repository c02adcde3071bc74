package doctor

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/internal/testproject"
	"github.com/mcpctl/mcpctl/scaffold"
)

const testName = "doc-demo"

// generate renders a project exactly as `mcpctl init` does, into a new directory, and
// (unless noGit) makes it a git repository with one commit, as init does.
func generate(t *testing.T, p scaffold.Project, noGit bool) (dir, key string) {
	t.Helper()
	if p.Name == "" {
		p.Name = testName
	}
	dir, key = testproject.Render(t, p)
	if !noGit {
		git(t, dir, "init", "--quiet")
		commitAll(t, dir, "Initial commit from mcpctl init")
	}
	return dir, key
}

// git runs git with a fixed identity and without the user's or system's configuration.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	c := exec.Command("git", args...)
	c.Dir = dir
	c.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=doctor", "GIT_AUTHOR_EMAIL=doctor@example.com",
		"GIT_COMMITTER_NAME=doctor", "GIT_COMMITTER_EMAIL=doctor@example.com",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull)
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func commitAll(t *testing.T, dir, msg string) {
	t.Helper()
	git(t, dir, "add", "--all")
	git(t, dir, "commit", "--quiet", "--no-verify", "-m", msg)
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// edit replaces old with new in a file, failing when old is not there.
func edit(t *testing.T, dir, name, old, new string) {
	t.Helper()
	s := read(t, dir, name)
	if !strings.Contains(s, old) {
		t.Fatalf("%s does not contain %q", name, old)
	}
	write(t, dir, name, strings.Replace(s, old, new, 1))
}

func run(t *testing.T, dir string, fast bool) *Report {
	t.Helper()
	r, err := Run(context.Background(), Options{Dir: dir, Exec: executor.System{}, Fast: fast})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func dump(r *Report) string {
	var b bytes.Buffer
	r.WriteText(&b, false)
	return b.String()
}

// wantFinding fails unless the report has the finding with the given severity and a fix.
func wantFinding(t *testing.T, r *Report, id string, sev Severity) Finding {
	t.Helper()
	f, ok := r.Finding(id)
	if !ok {
		t.Fatalf("no %s finding:\n%s", id, dump(r))
	}
	if f.Severity != sev {
		t.Errorf("%s: severity %s, want %s", id, f.Severity, sev)
	}
	if f.Fix == "" || f.Title == "" || f.Check == "" {
		t.Errorf("%s: incomplete finding %+v", id, f)
	}
	if c, _ := r.Check(f.Check); (sev == SeverityError && c.Status != StatusFail) || (sev == SeverityWarning && c.Status == StatusPass) {
		t.Errorf("%s: check %s has status %s", id, f.Check, c.Status)
	}
	if ok := r.OK(); ok == hasSeverity(r.Findings, SeverityError) {
		t.Errorf("OK() = %v with findings %+v", ok, r.Findings)
	}
	return f
}

// wantOnly fails when the report has findings other than the given ids.
func wantOnly(t *testing.T, r *Report, ids ...string) {
	t.Helper()
	for _, f := range r.Findings {
		found := false
		for _, id := range ids {
			found = found || f.ID == id
		}
		if !found {
			t.Errorf("unexpected finding %s (%s): %s", f.ID, f.Severity, f.Title)
		}
	}
}

// TestGeneratedProjectIsClean is the promise behind the pitfall tests: a project exactly
// as `mcpctl init` makes it passes every check, build and tests included, with no
// warnings.
func TestGeneratedProjectIsClean(t *testing.T) {
	dir, _ := generate(t, scaffold.Project{Stateless: true}, false)
	r := run(t, dir, testing.Short())
	if !r.OK() || r.Errors != 0 || r.Warnings != 0 || len(r.Findings) != 0 {
		t.Fatalf("generated project is not clean:\n%s", dump(r))
	}
	if len(r.Checks) != len(CheckIDs()) {
		t.Errorf("%d checks ran, want %d", len(r.Checks), len(CheckIDs()))
	}
	for _, c := range r.Checks {
		if c.Status != StatusPass && !(testing.Short() && (c.ID == CheckBuild || c.ID == CheckTest)) {
			t.Errorf("check %s: %s (%s)", c.ID, c.Status, c.Detail)
		}
	}
	if r.Summary != "no problems found" {
		t.Errorf("summary %q", r.Summary)
	}
	// Doctor leaves nothing behind: no binary in the project, the tree still clean.
	if st := git(t, dir, "status", "--porcelain", "--ignored"); strings.TrimSpace(st) != "!! .env" {
		t.Errorf("doctor changed the project:\n%s", st)
	}
}

// TestGeneratedVariantsAreClean covers the other choices init offers: a stateful server,
// and OAuth. auth = "none" gets the one warning it deserves.
func TestGeneratedVariantsAreClean(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		p    scaffold.Project
		want []string
	}{
		{"stateful", scaffold.Project{Stateless: false}, nil},
		{"oauth", scaffold.Project{Stateless: true, Auth: "oauth", Issuer: "https://auth.example.com/"}, nil},
		{"no auth", scaffold.Project{Stateless: true, Auth: "none"}, []string{IDAuthNone}},
		{"custom path", scaffold.Project{Stateless: true, Path: "/api/mcp", Name: "other-name"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir, _ := generate(t, tc.p, false)
			r := run(t, dir, true)
			wantOnly(t, r, tc.want...)
			if !r.OK() {
				t.Errorf("not OK:\n%s", dump(r))
			}
		})
	}
}

// TestPitfalls breaks a generated project one pitfall at a time; each must be found with
// its id, severity and a fix.
func TestPitfalls(t *testing.T) {
	t.Parallel()
	mainGo := "cmd/" + testName + "/main.go"
	for _, tc := range []struct {
		name     string
		project  scaffold.Project
		noGit    bool
		break_   func(t *testing.T, dir, key string)
		id       string
		severity Severity
		others   []string // other findings the break causes, legitimately
		check    func(t *testing.T, f Finding)
	}{
		{
			name: "hard-coded port",
			break_: func(t *testing.T, dir, _ string) {
				// A server that listens on a fixed port, and no code that reads PORT.
				edit(t, dir, "internal/server/config.go", `getenv("PORT")`, `getenv("LISTEN_PORT")`)
				for strings.Contains(read(t, dir, "internal/server/config.go"), `"PORT"`) {
					edit(t, dir, "internal/server/config.go", `"PORT`, `"LISTEN_PORT`)
				}
				write(t, dir, "cmd/"+testName+"/listen.go", "package main\n\nimport \"net/http\"\n\nfunc serve(h http.Handler) error {\n\treturn http.ListenAndServe(\":8080\", h)\n}\n")
			},
			id: IDPortHardcoded, severity: SeverityError,
			check: func(t *testing.T, f Finding) {
				if f.File != "cmd/"+testName+"/listen.go" || f.Line != 6 || !strings.Contains(f.Title, `":8080"`) {
					t.Errorf("finding %+v", f)
				}
			},
		},
		{
			name: "fixed port beside $PORT",
			break_: func(t *testing.T, dir, _ string) {
				write(t, dir, "cmd/"+testName+"/listen.go", "package main\n\nimport \"net/http\"\n\nvar srv = &http.Server{Addr: \"0.0.0.0:9090\"}\n")
			},
			id: IDPortHardcoded, severity: SeverityWarning,
		},
		{
			name: "pprof on localhost beside $PORT",
			break_: func(t *testing.T, dir, _ string) {
				write(t, dir, "cmd/"+testName+"/debug.go", "package main\n\nimport \"net/http\"\n\nfunc debug() { go http.ListenAndServe(\"localhost:6060\", nil) }\n")
			},
			id: IDPortHardcoded, severity: SeverityWarning,
		},
		{
			name: "loopback bind",
			break_: func(t *testing.T, dir, _ string) {
				write(t, dir, "cmd/"+testName+"/listen.go", "package main\n\nimport (\n\t\"net/http\"\n\t\"os\"\n)\n\nfunc serve() error {\n\treturn http.ListenAndServe(\"127.0.0.1:\"+os.Getenv(\"PORT\"), nil)\n}\n")
			},
			id: IDPortLoopback, severity: SeverityError,
		},
		{
			name: "nothing reads PORT",
			break_: func(t *testing.T, dir, _ string) {
				for strings.Contains(read(t, dir, "internal/server/config.go"), `"PORT"`) {
					edit(t, dir, "internal/server/config.go", `"PORT"`, `"LISTEN_PORT"`)
				}
			},
			id: IDPortNotRead, severity: SeverityError,
		},
		{
			name: "path mismatch",
			break_: func(t *testing.T, dir, _ string) {
				edit(t, dir, "mcpctl.toml", `path = "/mcp"`, `path = "/api"`)
			},
			id: IDPathMismatch, severity: SeverityWarning,
			check: func(t *testing.T, f Finding) {
				if f.File != mainGo || !strings.Contains(f.Title, `"/mcp"`) || !strings.Contains(f.Title, `"/api"`) ||
					!strings.Contains(f.Detail, "MCP_PATH=/api") || !strings.Contains(f.Detail, "wins") {
					t.Errorf("finding %+v", f)
				}
			},
		},
		{
			name: "legacy SSE handler",
			break_: func(t *testing.T, dir, _ string) {
				write(t, dir, "internal/server/legacy.go", "package server\n\nimport (\n\t\"net/http\"\n\n\t\"github.com/modelcontextprotocol/go-sdk/mcp\"\n)\n\n"+
					"func legacy(s *mcp.Server) http.Handler {\n\treturn mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return s }, nil)\n}\n")
			},
			id: IDSSETransport, severity: SeverityError,
			check: func(t *testing.T, f Finding) {
				if f.File != "internal/server/legacy.go" || !strings.Contains(f.Title, "mcp.NewSSEHandler") {
					t.Errorf("finding %+v", f)
				}
			},
		},
		{
			name:   "Procfile runs another binary",
			break_: func(t *testing.T, dir, _ string) { write(t, dir, "Procfile", "web: bin/server\n") },
			id:     IDProcfileBinary, severity: SeverityError,
			check: func(t *testing.T, f Finding) {
				if !strings.Contains(f.Fix, "web: bin/"+testName) || !strings.Contains(f.Detail, "bin/"+testName) {
					t.Errorf("finding %+v", f)
				}
			},
		},
		{
			name:   "Procfile without web",
			break_: func(t *testing.T, dir, _ string) { write(t, dir, "Procfile", "worker: bin/"+testName+"\n") },
			id:     IDProcfileNoWeb, severity: SeverityError,
		},
		{
			name:   "no Procfile",
			break_: func(t *testing.T, dir, _ string) { os.Remove(filepath.Join(dir, "Procfile")) },
			id:     IDProcfileMissing, severity: SeverityError,
		},
		{
			name:   "missing goVersion",
			break_: func(t *testing.T, dir, _ string) { edit(t, dir, "go.mod", "// +heroku goVersion go1.25\n", "") },
			id:     IDGoVersionMissing, severity: SeverityError,
			check: func(t *testing.T, f Finding) {
				if !strings.Contains(f.Fix, "// +heroku goVersion go1.25") {
					t.Errorf("fix %q", f.Fix)
				}
			},
		},
		{
			name:   "goVersion older than the go line",
			break_: func(t *testing.T, dir, _ string) { edit(t, dir, "go.mod", "goVersion go1.25", "goVersion go1.22") },
			id:     IDGoVersionOld, severity: SeverityError,
		},
		{
			name:   "missing install directive",
			break_: func(t *testing.T, dir, _ string) { edit(t, dir, "go.mod", "// +heroku install ./cmd/...\n", "") },
			id:     IDInstallMissing, severity: SeverityError,
		},
		{
			name: "install directive misses the command",
			break_: func(t *testing.T, dir, _ string) {
				edit(t, dir, "go.mod", "// +heroku install ./cmd/...", "// +heroku install ./tools")
			},
			id: IDInstallMissing, severity: SeverityError,
			// The Procfile names a binary the build no longer makes.
			others: []string{IDProcfileBinary},
		},
		{
			name: ".env tracked",
			break_: func(t *testing.T, dir, _ string) {
				git(t, dir, "add", "--force", ".env")
				git(t, dir, "commit", "--quiet", "-m", "Add .env")
			},
			id: IDEnvTracked, severity: SeverityError,
			check: func(t *testing.T, f Finding) {
				if f.File != ".env" || !strings.Contains(f.Fix, "git rm --cached .env") {
					t.Errorf("finding %+v", f)
				}
			},
		},
		{
			name:   ".env not ignored",
			break_: func(t *testing.T, dir, _ string) { write(t, dir, ".gitignore", "/bin/\n") },
			id:     IDEnvNotIgnored, severity: SeverityError,
		},
		{
			name: ".env mode 0644",
			break_: func(t *testing.T, dir, _ string) {
				if err := os.Chmod(filepath.Join(dir, ".env"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			id: IDEnvMode, severity: SeverityError,
			check: func(t *testing.T, f Finding) {
				if f.Fix != "chmod 600 .env" || !strings.Contains(f.Title, "0644") {
					t.Errorf("finding %+v", f)
				}
			},
		},
		{
			name: ".env does not parse",
			break_: func(t *testing.T, dir, _ string) {
				write(t, dir, ".env", read(t, dir, ".env")+"this line is not an assignment\n")
				os.Chmod(filepath.Join(dir, ".env"), 0o600)
			},
			id: IDEnvInvalid, severity: SeverityError,
		},
		{
			name: ".env is a directory",
			break_: func(t *testing.T, dir, _ string) {
				os.Remove(filepath.Join(dir, ".env"))
				if err := os.Mkdir(filepath.Join(dir, ".env"), 0o755); err != nil {
					t.Fatal(err)
				}
			},
			id: IDEnvInvalid, severity: SeverityError,
			check: func(t *testing.T, f Finding) {
				if !strings.Contains(f.Title, "directory") {
					t.Errorf("finding %+v", f)
				}
			},
		},
		{
			name: "key committed then removed",
			break_: func(t *testing.T, dir, key string) {
				write(t, dir, "tools/secret.go", "package tools\n\nconst apiKey = \""+key+"\"\n")
				commitAll(t, dir, "Hard-code the key")
				os.Remove(filepath.Join(dir, "tools/secret.go"))
				commitAll(t, dir, "Remove the key")
			},
			id: IDSecretInHistory, severity: SeverityError,
			check: func(t *testing.T, f Finding) {
				if f.File != "tools/secret.go" || !strings.Contains(f.Detail, "MCP_API_KEY") || !strings.Contains(f.Fix, "mcpctl keys rotate --now") {
					t.Errorf("finding %+v", f)
				}
			},
		},
		{
			name: "key in a tracked file",
			break_: func(t *testing.T, dir, key string) {
				write(t, dir, "config/prod.txt", "api key: "+key+"\n")
				commitAll(t, dir, "Add prod config")
			},
			id: IDSecretTracked, severity: SeverityError,
			check: func(t *testing.T, f Finding) {
				if f.File != "config/prod.txt" || f.Line != 1 {
					t.Errorf("finding %+v", f)
				}
			},
		},
		{
			name: "GitHub token committed",
			break_: func(t *testing.T, dir, _ string) {
				write(t, dir, "deploy.sh", "export GITHUB_TOKEN="+randomToken(t, "ghp_", 36)+"\n")
				commitAll(t, dir, "Add deploy script")
			},
			id: IDSecretTracked, severity: SeverityError,
		},
		{
			name: "private key in a test fixture",
			break_: func(t *testing.T, dir, _ string) {
				write(t, dir, "internal/server/testdata/key.pem", privateKeyPEM(t))
				commitAll(t, dir, "Add a TLS fixture")
			},
			id: IDSecretTracked, severity: SeverityWarning,
		},
		{
			name: "auth none with an app",
			break_: func(t *testing.T, dir, _ string) {
				edit(t, dir, "mcpctl.toml", `auth = "apikey"`, `auth = "none"`)
				edit(t, dir, "mcpctl.toml", `app = ""`, `app = "doc-demo-prod"`)
			},
			id: IDAuthNone, severity: SeverityError,
		},
		{
			// What connect claude-ai once advised for an API-key project: dev crash-loops.
			name: "oauth in a project generated for API keys",
			break_: func(t *testing.T, dir, _ string) {
				edit(t, dir, "mcpctl.toml", `auth = "apikey"`, `auth = "oauth"`)
				write(t, dir, "mcpctl.toml", read(t, dir, "mcpctl.toml")+"\n[server.oauth]\nissuer = \"https://auth.example.com/\"\n")
			},
			id: IDAuthUnsupported, severity: SeverityError,
			check: func(t *testing.T, f Finding) {
				if f.File != "mcpctl.toml" || !strings.Contains(f.Fix, "mcpctl init NAME --auth oauth") {
					t.Errorf("finding %+v", f)
				}
			},
		},
		{
			name:    "stateful with two dynos",
			project: scaffold.Project{Stateless: false},
			break_: func(t *testing.T, dir, _ string) {
				edit(t, dir, "app.json", `"quantity": 1`, `"quantity": 2`)
			},
			id: IDStatefulScaled, severity: SeverityError,
		},
		{
			name: "stateful with WEB_CONCURRENCY",
			break_: func(t *testing.T, dir, _ string) {
				edit(t, dir, "mcpctl.toml", "stateless = true", "stateless = false")
				write(t, dir, ".env", read(t, dir, ".env")+"WEB_CONCURRENCY=4\n")
				os.Chmod(filepath.Join(dir, ".env"), 0o600)
			},
			id: IDStatefulScaled, severity: SeverityError,
			// app.json still says MCP_STATELESS=true.
			others: []string{IDStatelessAppJSON},
		},
		{
			name: "wildcard CORS in .env",
			break_: func(t *testing.T, dir, _ string) {
				write(t, dir, ".env", read(t, dir, ".env")+"MCP_ALLOWED_ORIGINS=*\n")
				os.Chmod(filepath.Join(dir, ".env"), 0o600)
			},
			id: IDCORSWildcard, severity: SeverityError,
		},
		{
			name: "invalid mcpctl.toml",
			break_: func(t *testing.T, dir, _ string) {
				write(t, dir, "mcpctl.toml", read(t, dir, "mcpctl.toml")+"\n[extra]\ncolour = \"blue\"\n")
			},
			id: IDConfigInvalid, severity: SeverityError,
		},
		{
			name:   "no mcpctl.toml",
			break_: func(t *testing.T, dir, _ string) { os.Remove(filepath.Join(dir, "mcpctl.toml")) },
			id:     IDConfigMissing, severity: SeverityError,
		},
		{
			name:   "not a git repository",
			noGit:  true,
			break_: func(*testing.T, string, string) {},
			id:     IDGitNoRepo, severity: SeverityWarning,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := tc.project
			if tc.name != "stateful with two dynos" {
				p.Stateless = true
			}
			dir, key := generate(t, p, tc.noGit)
			tc.break_(t, dir, key)
			r := run(t, dir, true)
			f := wantFinding(t, r, tc.id, tc.severity)
			wantOnly(t, r, append(tc.others, tc.id)...)
			if tc.check != nil {
				tc.check(t, f)
			}
			// No finding ever shows a secret.
			if key != "" && strings.Contains(dump(r), key) {
				t.Errorf("the report shows the API key:\n%s", dump(r))
			}
		})
	}
}

func TestConfigErrorSkipsDependentChecks(t *testing.T) {
	t.Parallel()
	dir, _ := generate(t, scaffold.Project{Stateless: true}, false)
	write(t, dir, "mcpctl.toml", "[server\n")
	r := run(t, dir, true)
	f := wantFinding(t, r, IDConfigInvalid, SeverityError)
	if f.File != "mcpctl.toml" || f.Line == 0 {
		t.Errorf("finding %+v: want the file and line", f)
	}
	for _, id := range []string{CheckPath, CheckAuth, CheckStateless} {
		if c, _ := r.Check(id); c.Status != StatusSkip {
			t.Errorf("check %s: %s, want skip", id, c.Status)
		}
	}
}

func TestAuthNoneForDeploy(t *testing.T) {
	t.Parallel()
	dir, _ := generate(t, scaffold.Project{Stateless: true, Auth: "none"}, false)
	r, err := Run(context.Background(), Options{Dir: dir, Exec: executor.System{}, Fast: true, ForDeploy: true})
	if err != nil {
		t.Fatal(err)
	}
	wantFinding(t, r, IDAuthNone, SeverityError)
	if r.Err() == nil || !strings.Contains(r.Err().Error(), IDAuthNone) {
		t.Errorf("Err() = %v", r.Err())
	}
}

// TestPlaceholdersAreNotSecrets keeps doctor quiet about the made-up values that docs and
// tests are full of.
func TestPlaceholdersAreNotSecrets(t *testing.T) {
	t.Parallel()
	dir, _ := generate(t, scaffold.Project{Stateless: true}, false)
	write(t, dir, "docs/setup.md", strings.Join([]string{
		"OPENAI_API_KEY=sk-" + strings.Repeat("x", 40),
		"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
		"MCP_API_KEY=mcpk_" + strings.Repeat("A", 43),
		"-----BEGIN PRIVATE KEY-----",
		"...",
		"-----END PRIVATE KEY-----",
		"ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij",
	}, "\n")+"\n")
	commitAll(t, dir, "Docs")
	r := run(t, dir, true)
	wantOnly(t, r)
}

// TestBuildAndTestFailures runs the go command for real: once with a compile error (the
// tests are then skipped), once with a failing test.
func TestBuildAndTestFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build and go test")
	}
	t.Parallel()
	t.Run("build", func(t *testing.T) {
		dir, _ := generate(t, scaffold.Project{Stateless: true}, false)
		write(t, dir, "tools/broken.go", "package tools\n\nfunc broken() int { return \"not an int\" }\n")
		commitAll(t, dir, "Break the build")
		r := run(t, dir, false)
		f := wantFinding(t, r, IDBuildFailed, SeverityError)
		wantOnly(t, r, IDBuildFailed)
		if !strings.Contains(f.Title, "tools/broken.go:3") || !strings.Contains(f.Detail, "not an int") {
			t.Errorf("finding %+v", f)
		}
		if c, _ := r.Check(CheckTest); c.Status != StatusSkip {
			t.Errorf("test check %s after a failed build", c.Status)
		}
	})
	t.Run("test", func(t *testing.T) {
		dir, _ := generate(t, scaffold.Project{Stateless: true}, false)
		write(t, dir, "tools/fail_test.go", "package tools\n\nimport \"testing\"\n\nfunc TestDoctorSeesThis(t *testing.T) { t.Fatal(\"deliberate failure\") }\n")
		commitAll(t, dir, "Add a failing test")
		r := run(t, dir, false)
		f := wantFinding(t, r, IDTestFailed, SeverityError)
		wantOnly(t, r, IDTestFailed)
		if !strings.Contains(f.Title, "TestDoctorSeesThis") || !strings.Contains(f.Detail, "deliberate failure") {
			t.Errorf("finding %+v", f)
		}
	})
}

func TestReportJSON(t *testing.T) {
	t.Parallel()
	dir, _ := generate(t, scaffold.Project{Stateless: true}, false)
	os.Chmod(filepath.Join(dir, ".env"), 0o640)
	r := run(t, dir, true)
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var got struct {
		SchemaVersion int           `json:"schema_version"`
		OK            *bool         `json:"ok"`
		Fast          bool          `json:"fast"`
		Errors        int           `json:"errors"`
		Checks        []CheckResult `json:"checks"`
		Findings      []Finding     `json:"findings"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.SchemaVersion != SchemaVersion || got.OK == nil || *got.OK || !got.Fast || got.Errors != 1 || len(got.Checks) != len(CheckIDs()) {
		t.Errorf("report %s", b.String())
	}
	if len(got.Findings) != 1 || got.Findings[0].ID != IDEnvMode || got.Findings[0].Check != CheckEnv || got.Findings[0].Severity != SeverityError {
		t.Errorf("findings %+v", got.Findings)
	}
	if !strings.HasPrefix(b.String(), "{\n  \"schema_version\": 1,\n  \"ok\": false,") {
		t.Errorf("schema_version and ok should lead:\n%s", b.String()[:80])
	}
}

func TestTextReport(t *testing.T) {
	t.Parallel()
	dir, _ := generate(t, scaffold.Project{Stateless: true}, false)
	edit(t, dir, "mcpctl.toml", `path = "/mcp"`, `path = "/api"`)
	os.Chmod(filepath.Join(dir, ".env"), 0o644)
	var streamed []string
	r, err := Run(context.Background(), Options{Dir: dir, Exec: executor.System{}, Fast: true,
		OnCheck: func(c CheckResult) { streamed = append(streamed, c.ID) }})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(streamed, ",") != strings.Join(CheckIDs(), ",") {
		t.Errorf("OnCheck saw %v", streamed)
	}
	out := dump(r)
	for _, want := range []string{
		"✓ config ", "! path ", "✗ env ", "- build      skipped (--fast)",
		"✗ [env-mode] .env is readable by other users (mode 0644)", "    fix: chmod 600 .env",
		"! [path-mismatch] ", "FAILED 1 error, 1 warning: fix the errors before deploying",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour without being asked for")
	}
	var col bytes.Buffer
	r.WriteSummary(&col, true)
	if !strings.Contains(col.String(), "\x1b[31m✗\x1b[0m") {
		t.Errorf("no colour when asked for:\n%q", col.String())
	}
}

func TestRunErrors(t *testing.T) {
	if _, err := Run(context.Background(), Options{Dir: t.TempDir()}); err == nil {
		t.Error("no executor: want an error")
	}
	if _, err := Run(context.Background(), Options{Dir: filepath.Join(t.TempDir(), "nope"), Exec: executor.System{}}); err == nil {
		t.Error("missing dir: want an error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, Options{Dir: t.TempDir(), Exec: missing(t, "git", "go")}); err != context.Canceled {
		t.Errorf("cancelled: got %v", err)
	}
}

// TestEmptyDirectory: doctor anywhere other than a project says so, without crashing.
func TestEmptyDirectory(t *testing.T) {
	r, err := Run(context.Background(), Options{Dir: t.TempDir(), Exec: missing(t, "git", "go")})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{IDConfigMissing, IDGoModMissing, IDGitMissing, IDProcfileMissing} {
		if !r.Has(id) {
			t.Errorf("no %s:\n%s", id, dump(r))
		}
	}
	if r.OK() {
		t.Error("OK in an empty directory")
	}
}

func randomToken(t *testing.T, prefix string, n int) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return prefix + string(b)
}

func privateKeyPEM(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}
