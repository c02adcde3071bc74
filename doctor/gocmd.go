package doctor

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/mcpctl/mcpctl/internal/executor"
)

// maxOutputLines bounds the compiler and test output a finding quotes.
const maxOutputLines = 20

// goCmd runs the go command in the project and times it.
func (p *project) goCmd(ctx context.Context, args ...string) (executor.Result, time.Duration, error) {
	start := time.Now()
	res, err := p.exec.Run(ctx, executor.Cmd{Name: "go", Args: args, Dir: p.dir})
	return res, time.Since(start), err
}

func goMissing() Finding {
	return Finding{
		ID: IDGoMissing, Severity: SeverityError,
		Title:  "the go command is not installed",
		Detail: "doctor builds and tests the project with it, as the platform's buildpack will.",
		Fix:    "install Go from https://go.dev/dl/ (or run mcpctl doctor --fast to skip the build and tests)",
	}
}

// checkBuild compiles and links every package, as the buildpack will. The binaries go to
// the null device: doctor leaves no files behind.
func checkBuild(ctx context.Context, p *project) outcome {
	switch {
	case p.opts.Fast:
		return skip("skipped (--fast)")
	case p.goMod == nil:
		return skip("no go.mod")
	}
	if _, err := p.exec.LookPath("go"); err != nil {
		p.buildFailed = true
		return outcome{findings: []Finding{goMissing()}}
	}
	res, took, err := p.goCmd(ctx, "build", "-o", os.DevNull, "./...")
	if err == nil {
		return pass("go build ./... (" + roundDuration(took) + ")")
	}
	p.buildFailed = true
	var nf *executor.NotFoundError
	if errors.As(err, &nf) {
		return outcome{findings: []Finding{goMissing()}}
	}
	lines := excerpt(res.Stderr, func(string) bool { return true })
	first := ""
	for _, l := range lines {
		if !strings.HasPrefix(l, "#") {
			first = l
			break
		}
	}
	f := Finding{
		ID: IDBuildFailed, Severity: SeverityError,
		Title:  "go build ./... fails",
		Detail: strings.Join(lines, "\n"),
		Fix:    "fix the compile errors (go build ./... lists them) and run mcpctl doctor again",
	}
	if first != "" {
		f.Title += ": " + first
	}
	if f.Detail == "" {
		f.Detail = err.Error()
	}
	return outcome{findings: []Finding{f}}
}

// checkTest runs the project's tests: a deploy should not ship what its own tests reject.
func checkTest(ctx context.Context, p *project) outcome {
	switch {
	case p.opts.Fast:
		return skip("skipped (--fast)")
	case p.goMod == nil:
		return skip("no go.mod")
	case p.buildFailed:
		return skip("skipped: the build failed")
	}
	res, took, err := p.goCmd(ctx, "test", "./...")
	if err == nil {
		return pass("go test ./... (" + roundDuration(took) + ")")
	}
	var failed []string
	for _, l := range strings.Split(string(res.Stdout), "\n") {
		if name, ok := strings.CutPrefix(l, "--- FAIL: "); ok {
			failed = append(failed, strings.Fields(name)[0])
		}
	}
	inFailure := false
	lines := excerpt(append(res.Stdout, res.Stderr...), func(l string) bool {
		switch {
		case strings.HasPrefix(l, "--- FAIL"), strings.HasPrefix(l, "FAIL"), strings.HasPrefix(l, "panic:"):
			inFailure = true
			return true
		case strings.HasPrefix(l, "=== "), strings.HasPrefix(l, "--- PASS"), strings.HasPrefix(l, "ok "), strings.HasPrefix(l, "?"), l == "PASS":
			inFailure = false
			return false
		}
		// The messages under a failing test, and build errors of test files.
		return inFailure || strings.HasPrefix(l, "#") || strings.Contains(l, ".go:")
	})
	f := Finding{
		ID: IDTestFailed, Severity: SeverityError,
		Title:  "go test ./... fails",
		Detail: strings.Join(lines, "\n"),
		Fix:    "run go test ./... to see the failures, fix them, and run mcpctl doctor again",
	}
	if len(failed) > 0 {
		shown := failed
		if len(shown) > 3 {
			shown = append(shown[:3:3], "…")
		}
		f.Title += ": " + strings.Join(shown, ", ")
	}
	if f.Detail == "" {
		f.Detail = err.Error()
	}
	return outcome{findings: []Finding{f}}
}

// excerpt returns up to maxOutputLines non-empty lines of out that keep says to keep.
func excerpt(out []byte, keep func(string) bool) []string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := strings.TrimRight(sc.Text(), " \t\r")
		if strings.TrimSpace(l) == "" || !keep(l) {
			continue
		}
		if len(lines) == maxOutputLines {
			lines = append(lines, "…")
			break
		}
		lines = append(lines, l)
	}
	return lines
}

func roundDuration(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}
