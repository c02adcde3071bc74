package runner

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/internal/executor"
)

func TestParseCompileErrors(t *testing.T) {
	t.Parallel()
	out := `# example.com/fixture
./greeting.go:3:27: syntax error: unexpected newline in composite literal
internal/tools/x.go:10: undefined: foo
./main.go:12:5: cannot use x (variable of type int) as string value in argument to f
	have (int)
	want (string)
go: errors parsing go.mod
`
	got := parseCompileErrors(out)
	want := []CompileError{
		{File: "greeting.go", Line: 3, Col: 27, Message: "syntax error: unexpected newline in composite literal"},
		{File: "internal/tools/x.go", Line: 10, Message: "undefined: foo"},
		{File: "main.go", Line: 12, Col: 5, Message: "cannot use x (variable of type int) as string value in argument to f\nhave (int)\nwant (string)"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if s := want[0].String(); s != "greeting.go:3:27: syntax error: unexpected newline in composite literal" {
		t.Errorf("String() = %q", s)
	}
	if s := want[1].String(); s != "internal/tools/x.go:10: undefined: foo" {
		t.Errorf("String() = %q", s)
	}
}

func TestRelevantFile(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"main.go": true, "tools.go": true, "go.mod": true, "go.sum": true, "mcpctl.toml": true,
		".env": true, "index.html": true, "prompt.md": true, "schema.json": true,
		"main_test.go": false, "main.go~": false, ".main.go.swp": false, ".main.go.swx": false,
		"4913": false, "#main.go#": false, ".#main.go": false, "main.go.tmp": false,
		"binary": false, ".DS_Store": false, "app.exe": false,
	} {
		if got := relevantFile(name); got != want {
			t.Errorf("relevantFile(%q) = %v, want %v", name, got, want)
		}
	}
}

// The watcher reports relevant files (also in directories created after it started) and
// nothing for editor droppings or ignored directories. fsnotify preserves the order of
// operations, so the first change received proves the ignored ones were skipped.
func TestWatcher(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, d := range []string{"bin", ".git", "node_modules", "custom/out"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	w, err := newWatcher(dir, []string{"custom/out"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes, errs := make(chan string, 100), make(chan error, 10)
	go w.run(ctx, changes, errs)

	write := func(rel string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, ignored := range []string{"bin/app.go", ".git/index.go", "node_modules/x.js", "custom/out/gen.go",
		"main.go~", ".main.go.swp", "4913", "#main.go#", ".#main.go", "main_test.go", "notes"} {
		write(ignored)
	}
	// expect reads changes until want, allowing repeats of earlier files (one write can
	// produce several events, and they may trail).
	seen := map[string]bool{}
	expect := func(want string) {
		t.Helper()
		for got := range changes {
			if got == want {
				seen[got] = true
				return
			}
			if !seen[got] {
				t.Fatalf("change %q while waiting for %q", got, want)
			}
		}
	}
	write("tools.go")
	expect("tools.go")
	// A directory created after start, with a file in it, then another file there.
	write("internal/newpkg/x.go")
	expect("internal/newpkg/x.go")
	write("internal/newpkg/y.go")
	expect("internal/newpkg/y.go")
}

func TestRingKeepsLastLines(t *testing.T) {
	t.Parallel()
	r := newRing(3)
	if got := r.tail(); len(got) != 0 {
		t.Fatalf("empty ring: %q", got)
	}
	for _, l := range []string{"a", "b"} {
		r.add(l)
	}
	if got := strings.Join(r.tail(), ","); got != "a,b" {
		t.Fatalf("got %q", got)
	}
	for _, l := range []string{"c", "d", "e"} {
		r.add(l)
	}
	if got := strings.Join(r.tail(), ","); got != "c,d,e" {
		t.Fatalf("got %q", got)
	}
}

func TestLineWriter(t *testing.T) {
	t.Parallel()
	var lines []string
	w := &lineWriter{emit: func(l string) { lines = append(lines, l) }}
	w.Write([]byte("one\ntw"))
	w.Write([]byte("o\r\nthree"))
	w.close()
	w.Write([]byte(strings.Repeat("x", maxLineBytes+10)))
	if len(lines) != 4 || lines[0] != "one" || lines[1] != "two" || lines[2] != "three" || len(lines[3]) < maxLineBytes {
		t.Fatalf("lines %q", lines[:min(3, len(lines))])
	}
}

func TestAuthFromEnv(t *testing.T) {
	t.Parallel()
	cases := []struct {
		env  []string
		want Auth
	}{
		{[]string{"MCP_AUTH=apikey", "MCP_API_KEY=old", "MCP_API_KEY=k"}, Auth{Mode: "apikey", Header: "x-api-key", Value: "k"}},
		{[]string{"MCP_API_KEY=k"}, Auth{Mode: "apikey", Header: "x-api-key", Value: "k"}},
		{[]string{"MCP_AUTH=none", "MCP_API_KEY=k"}, Auth{Mode: "none"}},
		{[]string{"MCP_AUTH=oauth"}, Auth{Mode: "oauth", Header: "Authorization", Value: "Bearer <access token from your identity provider>"}},
		{nil, Auth{}},
	}
	for _, c := range cases {
		if got := authFromEnv(c.env); got != c.want {
			t.Errorf("%v: got %+v", c.env, got)
		}
	}
}

// Without a compiler run: the build's command line is data, its diagnostics become a
// BuildFailed event, and with nothing else running requests fail fast with the reason.
func TestBuildFailureWithStubbedGo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stub := executor.NewStub(t)
	stub.On("go", []string{"build"}, executor.Result{Stderr: []byte("# example.com/x\n./main.go:3:1: syntax error: non-declaration statement outside function body\n")},
		&executor.ExitError{ExitCode: 1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, err := Start(ctx, Options{Dir: dir, Executor: stub, Package: "./cmd/app", BuildFlags: []string{"-tags", "dev"}})
	if err != nil {
		t.Fatal(err)
	}
	l := collect(r)
	from := 0
	bf := waitFor[BuildFailed](t, l, &from, nil)
	if len(bf.Errors) != 1 || bf.Errors[0].File != "main.go" || bf.Errors[0].Line != 3 {
		t.Errorf("errors %+v", bf.Errors)
	}
	want := "go build -o " + filepath.Join(r.tmp, "gen-1") + " -tags dev ./cmd/app"
	if calls := stub.Calls(); len(calls) != 1 || calls[0] != want {
		t.Errorf("calls %q, want %q", calls, want)
	}
	// The failure is recorded by the supervisor right after the event; a request now
	// either waits for that (microseconds) or fails at once: never for RequestTimeout.
	resp, err := http.Post(r.URL(), "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "last build failed") {
		t.Errorf("status %d, body %s", resp.StatusCode, body)
	}
	cancel()
	if err := r.Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestStartNeedsGo(t *testing.T) {
	t.Parallel()
	_, err := Start(context.Background(), Options{Dir: t.TempDir(), Executor: missingGo(t)})
	var nf *executor.NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v", err)
	}
}

func missingGo(t *testing.T) *executor.Stub {
	s := executor.NewStub(t)
	s.Missing = []string{"go"}
	return s
}
