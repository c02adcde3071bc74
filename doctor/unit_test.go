package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/keys"
	"github.com/mcpctl/mcpctl/scaffold"
)

// TestCommandLines pins every external command doctor runs, with canned answers: git for
// the repository checks, go for build and test. It also feeds the history parser a log
// with a quoted path and a key that was added and later deleted.
func TestCommandLines(t *testing.T) {
	dir, _ := generate(t, scaffold.Project{Stateless: true}, true)
	leaked, err := keys.Generate()
	if err != nil {
		t.Fatal(err)
	}
	older, newer := strings.Repeat("a", 40), strings.Repeat("b", 40)
	log := strings.Join([]string{
		"commit " + newer,
		"",
		`diff --git "a/odd\tname.txt" "b/odd\tname.txt"`,
		"deleted file mode 100644",
		`--- "a/odd\tname.txt"`,
		"+++ /dev/null",
		"@@ -1,2 +0,0 @@",
		"-key: " + leaked,
		"-++ not a header",
		"commit " + older,
		"",
		`diff --git "a/odd\tname.txt" "b/odd\tname.txt"`,
		"new file mode 100644",
		"--- /dev/null",
		`+++ "b/odd\tname.txt"`,
		"@@ -0,0 +1,2 @@",
		"+key: " + leaked,
		"+++ not a header either",
		"",
	}, "\n")
	testOut := "=== RUN   TestWeather\n--- FAIL: TestWeather (0.00s)\n    weather_test.go:12: got 3, want 4\nFAIL\nFAIL\texample.com/doc-demo/tools\t0.01s\nok  \texample.com/doc-demo/internal/server\t0.02s\nFAIL\n"

	stub := executor.NewStub(t)
	gitArgs := func(args ...string) []string { return append([]string{"-c", "core.quotepath=off"}, args...) }
	stub.On("git", gitArgs("rev-parse", "--show-toplevel", "--show-prefix"), executor.Result{Stdout: []byte(dir + "\n\n")}, nil)
	stub.On("git", gitArgs("rev-parse", "--verify", "--quiet", "HEAD^{commit}"), executor.Result{Stdout: []byte(newer + "\n")}, nil)
	stub.On("git", gitArgs("ls-files", "-z", "--cached"), executor.Result{Stdout: []byte("Procfile\x00go.mod\x00mcpctl.toml\x00cmd/" + testName + "/main.go\x00")}, nil)
	stub.On("git", gitArgs("check-ignore", "-q", "--no-index", "--", ".env"), executor.Result{}, nil)
	stub.On("git", gitArgs("log", "--all", "-p", "-E", "-G"+historyFilter, "--no-color", "--no-ext-diff", "--no-textconv", "--relative", "--format=commit %H", "--", "."),
		executor.Result{Stdout: []byte(log)}, nil)
	stub.On("go", []string{"build", "-o", os.DevNull, "./..."}, executor.Result{}, nil)
	stub.On("go", []string{"test", "./..."}, executor.Result{Stdout: []byte(testOut), ExitCode: 1}, &executor.ExitError{ExitCode: 1})

	r, err := Run(context.Background(), Options{Dir: dir, Exec: stub})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"git -c core.quotepath=off rev-parse --show-toplevel --show-prefix",
		"git -c core.quotepath=off rev-parse --verify --quiet HEAD^{commit}",
		"git -c core.quotepath=off ls-files -z --cached",
		"git -c core.quotepath=off check-ignore -q --no-index -- .env",
		"git -c core.quotepath=off log --all -p -E -G" + historyFilter + " --no-color --no-ext-diff --no-textconv --relative --format=commit %H -- .",
		"go build -o " + os.DevNull + " ./...",
		"go test ./...",
	}
	if got := stub.Calls(); !slices.Equal(got, want) {
		t.Errorf("commands:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantOnly(t, r, IDSecretInHistory, IDTestFailed)
	f := wantFinding(t, r, IDSecretInHistory, SeverityError)
	if f.File != "odd\tname.txt" || !strings.Contains(f.Title, short(older)) || strings.Contains(f.Title, leaked) {
		t.Errorf("history finding %+v", f)
	}
	f = wantFinding(t, r, IDTestFailed, SeverityError)
	if f.Title != "go test ./... fails: TestWeather" || !strings.Contains(f.Detail, "weather_test.go:12: got 3, want 4") ||
		strings.Contains(f.Detail, "=== RUN") || strings.Contains(f.Detail, "ok  ") {
		t.Errorf("test finding %+v", f)
	}
}

func TestGoMissing(t *testing.T) {
	dir, _ := generate(t, scaffold.Project{Stateless: true}, true)
	r, err := Run(context.Background(), Options{Dir: dir, Exec: missing(t, "git", "go")})
	if err != nil {
		t.Fatal(err)
	}
	wantFinding(t, r, IDGoMissing, SeverityError)
	wantFinding(t, r, IDGitMissing, SeverityWarning)
	wantOnly(t, r, IDGoMissing, IDGitMissing)
	if c, _ := r.Check(CheckTest); c.Status != StatusSkip {
		t.Errorf("test check %s without go", c.Status)
	}
}

func TestFindSecrets(t *testing.T) {
	key, _ := keys.Generate()
	gh := "ghp_" + "R8x2Lq0vTb5NwZ3kYc7HdJ1mFg9Ps4Ua6Ei2"
	for _, tc := range []struct {
		text string
		want string // kind, "" for none
	}{
		{"MCP_API_KEY=" + key, mcpctlKey},
		{"token := \"" + gh + "\"", "a GitHub token"},
		{"github_pat_11AQ7ZLXY0r9Kd2Vb8Nf_Tq3Hm6Wc1Jp5Gs4Ea7Ub0Yi8Ro2Lk9Dx", "a GitHub token"},
		{"OPENAI_API_KEY=sk-proj-Xq8Lm2Nv7Rb4Tc9Wd1Ze6Yf3Ug5Ah0Bj", "an API secret key (sk-…)"},
		{"aws_access_key_id = AKIA2E0A8F3B1C9D7E6F", "an AWS access key ID"},
		{"-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM2xGmL0nFj8s5JjvQ0c8Y9yj6A1xQ\n", "a private key"},
		{`pem := "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5mVKvKM3ZhtUjoAoGCCqGSM49\n"`, "a private key"},
		// Placeholders and lookalikes.
		{"MCP_API_KEY=mcpk_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG", ""},
		{"MCP_API_KEY=mcpk_" + strings.Repeat("A", 43), ""},
		{"sk-learn and risk-free and desk-" + strings.Repeat("z", 10), ""},
		{"OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", ""},
		{"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", ""},
		{"-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----", ""},
		{"ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij", ""},
		{"mcpk_wrong", ""},
	} {
		got := findSecrets([]byte(tc.text))
		switch {
		case tc.want == "" && len(got) > 0:
			t.Errorf("%q: found %s", tc.text, got[0].kind)
		case tc.want != "" && (len(got) != 1 || got[0].kind != tc.want):
			t.Errorf("%q: got %+v, want one %s", tc.text, got, tc.want)
		case len(got) == 1 && strings.Contains(got[0].shown, got[0].value[min(len(got[0].value), 12):]):
			t.Errorf("%q: shown %q reveals the secret", tc.text, got[0].shown)
		}
	}
}

// TestListenAddresses parses small programs and checks which listen addresses count as
// fixed or loopback.
func TestListenAddresses(t *testing.T) {
	for _, tc := range []struct {
		code     string
		want     string // "", "fixed" or "loopback"
		wantAddr string
	}{
		{`http.ListenAndServe(":8080", nil)`, "fixed", `":8080"`},
		{`http.ListenAndServeTLS("0.0.0.0:8443", "c", "k", nil)`, "fixed", `"0.0.0.0:8443"`},
		{`net.Listen("tcp", ":3000")`, "fixed", `":3000"`},
		{`r.Run(":8080")`, "fixed", `":8080"`},
		{`_ = &http.Server{Addr: ":9000"}`, "fixed", `":9000"`},
		{`http.ListenAndServe("localhost:6060", nil)`, "fixed", `"localhost:6060"`},
		{`http.ListenAndServe("127.0.0.1:"+port, nil)`, "loopback", `"127.0.0.1:" + …`},
		{`http.ListenAndServe(fmt.Sprintf("127.0.0.1:%s", port), nil)`, "loopback", ""},
		{`net.Listen("tcp", net.JoinHostPort("::1", port))`, "loopback", ""},
		{`http.ListenAndServe(":"+port, nil)`, "", ""},
		{`net.Listen("tcp", cfg.Addr)`, "", ""},
		{`_ = &http.Server{Addr: addr}`, "", ""},
		{`t.Run("name:1", nil)`, "", ""},
		{`addr := net.JoinHostPort("127.0.0.1", port); net.Listen("tcp", addr)`, "", ""},
		{`exec.Command("x").Run()`, "", ""},
	} {
		src := "package main\nfunc f() {\n" + tc.code + "\n}\n"
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "main.go", src, 0)
		if err != nil {
			t.Fatalf("%s: %v", tc.code, err)
		}
		s := &sources{fset: fset, files: []*goFile{{rel: "main.go", dir: ".", ast: f}}}
		got := s.listens()
		switch {
		case tc.want == "" && len(got) > 0:
			t.Errorf("%s: reported %+v", tc.code, got)
		case tc.want != "" && len(got) != 1:
			t.Errorf("%s: got %+v, want one", tc.code, got)
		case tc.want == "loopback" && (!got[0].loopback || got[0].fixed), tc.want == "fixed" && !got[0].fixed:
			t.Errorf("%s: got %+v, want %s", tc.code, got[0], tc.want)
		case tc.wantAddr != "" && got[0].addr != tc.wantAddr:
			t.Errorf("%s: addr %s, want %s", tc.code, got[0].addr, tc.wantAddr)
		case len(got) == 1 && got[0].at.line != 3:
			t.Errorf("%s: line %d", tc.code, got[0].at.line)
		}
	}
}

func TestMCPPathsAndSSE(t *testing.T) {
	src := `package main

import (
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"net/http"
)

func main() {
	cfg := server.Config{Path: "/v1/mcp"}
	mux.Handle("POST /other", sdk.NewStreamableHTTPHandler(get, nil))
	mux.Handle("/health", health)
	_ = sdk.NewSSEHandler(get, nil)
	var t *sdk.SSEServerTransport
	var c *sdk.SSEClientTransport // a client of another server is not this server's transport
	_ = http.Server{}
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "main.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := &sources{fset: fset, files: []*goFile{{rel: "main.go", dir: ".", ast: f, imports: imports(f)}}}
	var paths []string
	for _, u := range s.mcpPaths() {
		paths = append(paths, u.path)
	}
	if !slices.Equal(paths, []string{"/v1/mcp", "/other"}) {
		t.Errorf("paths %v", paths)
	}
	var sse []string
	for _, u := range s.sseUses() {
		sse = append(sse, u.name)
	}
	if !slices.Equal(sse, []string{"sdk.NewSSEHandler", "sdk.SSEServerTransport"}) {
		t.Errorf("SSE uses %v", sse)
	}
}

func TestBinaryNames(t *testing.T) {
	for _, tc := range []struct{ mod, rel, want string }{
		{"example.com/weather", ".", "weather"},
		{"example.com/weather/v2", ".", "weather"},
		{"weather", ".", "weather"},
		{"example.com/x", "cmd/server", "server"},
	} {
		if got := binaryName(tc.mod, tc.rel); got != tc.want {
			t.Errorf("binaryName(%q, %q) = %q, want %q", tc.mod, tc.rel, got, tc.want)
		}
	}
	for _, tc := range []struct {
		rel      string
		patterns []string
		want     bool
	}{
		{"cmd/x", []string{"./cmd/..."}, true},
		{"cmd/x", []string{"./..."}, true},
		{"cmd/x", []string{"example.com/m/cmd/..."}, true},
		{"cmd/x", []string{"example.com/m/cmd/x"}, true},
		{".", []string{"."}, true},
		{".", []string{"example.com/m"}, true},
		{"cmd/x", []string{"."}, false},
		{"cmd/x", []string{"./tools"}, false},
		{"cmdx/y", []string{"./cmd/..."}, false},
	} {
		if got := matchesInstall("example.com/m", tc.rel, tc.patterns); got != tc.want {
			t.Errorf("matchesInstall(%q, %v) = %v", tc.rel, tc.patterns, got)
		}
	}
	for _, tc := range []struct{ cmd, prog, name string }{
		{"bin/x", "bin/x", "x"},
		{"./bin/x --flag", "./bin/x", "x"},
		{"GOMAXPROCS=2 exec /app/bin/x", "/app/bin/x", "x"},
		{"x", "x", "x"},
		{"go run ./cmd/x", "go", "go"},
		{"", "", ""},
	} {
		prog := procfileProgram(tc.cmd)
		name, _ := builtName(prog)
		if prog != tc.prog || name != tc.name {
			t.Errorf("%q: program %q name %q", tc.cmd, prog, name)
		}
	}
	if _, ok := builtName("scripts/start.sh"); ok {
		t.Error("scripts/start.sh taken for a built binary")
	}
	for in, want := range map[string]string{"go1.25": "go1.25", "1.25": "go1.25", "=1.25.3": "go1.25.3", "^1.24": "go1.24"} {
		if got := normalizeGoVersion(in); got != want {
			t.Errorf("normalizeGoVersion(%q) = %q", in, got)
		}
	}
}

func TestPlaceholder(t *testing.T) {
	for s, want := range map[string]bool{
		"0123456789abcdefghijklmnopqrstuvwxyzABCDEFG": true,
		strings.Repeat("A", 43):                       true,
		"IOSFODNN7EXAMPLE":                            true,
		"Xq8Lm2Nv7Rb4Tc9Wd1Ze6Yf3Ug5Ah0Bj":            false,
		"short":                                       false,
	} {
		if got := placeholder(s); got != want {
			t.Errorf("placeholder(%q) = %v", s, got)
		}
	}
	// A real key is never taken for a placeholder.
	for range 200 {
		k, _ := keys.Generate()
		if placeholder(strings.TrimPrefix(k, keys.Prefix)) {
			t.Fatalf("placeholder(%s)", k)
		}
	}
}

func TestTimingSettings(t *testing.T) {
	src := `package main

import (
	"net/http"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

func main() {
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	srv.WriteTimeout = time.Minute
	_ = http.Server{WriteTimeout: 0}
	_ = sdk.NewStreamableHTTPHandler(nil, &sdk.StreamableHTTPOptions{JSONResponse: true})
	_ = sdk.StreamableHTTPOptions{JSONResponse: false}
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "main.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := &sources{fset: fset, files: []*goFile{{rel: "main.go", dir: ".", ast: f, imports: imports(f)}}}
	p := &project{src: s}
	out := checkTiming(context.Background(), p)
	var got []string
	for _, f := range out.findings {
		got = append(got, fmt.Sprintf("%s:%d", f.ID, f.Line))
	}
	if want := []string{IDWriteTimeout + ":11", IDWriteTimeout + ":12", IDJSONResponse + ":14"}; !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}

	// The generated server passes; an app.json on eco dynos does not.
	dir, _ := generate(t, scaffold.Project{Stateless: true}, false)
	gp := &project{src: loadSources(dir)}
	if out := checkTiming(context.Background(), gp); len(out.findings) != 0 {
		t.Errorf("generated server: %+v", out.findings)
	}
	gp.appJSON = &appJSON{}
	if err := json.Unmarshal([]byte(`{"formation":{"web":{"quantity":1,"size":"Eco"}}}`), gp.appJSON); err != nil {
		t.Fatal(err)
	}
	if out := checkTiming(context.Background(), gp); len(out.findings) != 1 || out.findings[0].ID != IDEcoDynos || !strings.Contains(out.findings[0].Fix, "ps:type web=basic") {
		t.Errorf("eco app.json: %+v", out.findings)
	}
}

// missing is a stub executor on which the programs named are not installed.
func missing(t *testing.T, programs ...string) *executor.Stub {
	s := executor.NewStub(t)
	s.Missing = programs
	return s
}

// Cloud Run's pitfalls for MCP clients, read from the deployed service: scale to zero, a
// request timeout below clients' tool wait, a stateful server autoscaling may spread.
func TestDeployedCloudRunPitfalls(t *testing.T) {
	f := false
	for _, tc := range []struct {
		name string
		d    Deployed
		ids  []string
	}{
		{"fits", Deployed{Name: "w", MinInstances: 1, RequestTimeout: time.Hour}, nil},
		{"scale to zero", Deployed{Name: "w", MinInstances: 0, RequestTimeout: time.Hour}, []string{IDColdStart}},
		{"default timeout", Deployed{Name: "w", MinInstances: 1, RequestTimeout: 300*time.Second - time.Second}, []string{IDRequestTimeout}},
		{"stateful autoscaled", Deployed{Name: "w", MinInstances: 1, RequestTimeout: time.Hour, Stateless: &f}, []string{IDStatefulScaled}},
		{"stateful on one", Deployed{Name: "w", MinInstances: 1, MaxInstances: 1, RequestTimeout: time.Hour, Stateless: &f}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.d
			p := &project{opts: Options{Deployed: func(context.Context) (*Deployed, error) { return &d, nil }}}
			o := checkDeployed(context.Background(), p)
			var ids []string
			for _, f := range o.findings {
				ids = append(ids, f.ID)
				if f.Fix == "" {
					t.Errorf("%s has no fix", f.ID)
				}
			}
			if strings.Join(ids, ",") != strings.Join(tc.ids, ",") {
				t.Fatalf("findings %v, want %v", ids, tc.ids)
			}
		})
	}
	p := &project{opts: Options{Deployed: func(context.Context) (*Deployed, error) { return nil, errors.New("gcloud: offline") }}}
	if o := checkDeployed(context.Background(), p); !o.skipped || !strings.Contains(o.detail, "offline") {
		t.Fatalf("an unreadable service: %+v", o)
	}
}
