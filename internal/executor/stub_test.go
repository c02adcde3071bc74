package executor

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// recorder is a TB that keeps what the stub reports.
type recorder struct {
	errs     []string
	cleanups []func()
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, a...))
}
func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *recorder) end() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

// The stub fails the test at its end on a command nobody registered and on a rule no
// command used, naming where the rule was registered; a rule for the same command line
// replaces the earlier one rather than leaving it unused.
func TestStubFailsOnUnmatchedAndUnused(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	s := NewStub(rec)
	s.On("git", []string{"status"}, Result{Stdout: []byte("old")}, nil)
	s.On("git", []string{"status"}, Result{Stdout: []byte("new")}, nil)
	s.On("heroku", []string{"logs"}, Result{}, nil)
	res, err := s.Run(context.Background(), Cmd{Name: "git", Args: []string{"status", "--porcelain"}})
	if err != nil || string(res.Stdout) != "new" {
		t.Errorf("git status: %q, %v", res.Stdout, err)
	}
	if _, err := s.Run(context.Background(), Cmd{Name: "go", Args: []string{"build"}}); err == nil {
		t.Error("an unregistered command succeeded")
	}
	if len(rec.errs) != 0 {
		t.Fatalf("reported before the test ended: %q", rec.errs)
	}
	rec.end()
	all := strings.Join(rec.errs, "\n")
	if len(rec.errs) != 2 || !strings.Contains(all, "unexpected command: go build") ||
		!strings.Contains(all, "stub_test.go:") || !strings.Contains(all, "never used: heroku logs") {
		t.Errorf("reports:\n%s", all)
	}
}

func TestStubQuietWhenEverythingMatched(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	s := NewStub(rec)
	s.Missing = []string{"heroku"}
	s.On("git", nil, Result{}, nil)
	if _, err := s.LookPath("heroku"); err == nil {
		t.Error("heroku is listed as missing")
	}
	if _, err := s.Run(context.Background(), Cmd{Name: "git", Args: []string{"log"}}); err != nil {
		t.Fatal(err)
	}
	rec.end()
	if len(rec.errs) != 0 {
		t.Errorf("reports: %q", rec.errs)
	}
}
