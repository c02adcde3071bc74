package executor

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Stub is an Executor for tests: it answers registered command lines with canned results
// and records every call. Made with NewStub, it fails the test when the test ends on any
// command no rule matched and on any rule no command used, as cli/cli's run.Stub does.
type Stub struct {
	// Missing lists programs LookPath reports as not installed.
	Missing []string

	mu         sync.Mutex
	rules      []stubRule
	calls      []Cmd
	unexpected []string
}

// TB is the part of testing.TB the stub reports to.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Cleanup(func())
}

// NewStub returns a Stub that checks, when t ends, that every command run was expected
// and every rule registered was used.
func NewStub(t TB) *Stub {
	s := &Stub{}
	t.Cleanup(func() {
		t.Helper()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, c := range s.unexpected {
			t.Errorf("executor.Stub: unexpected command: %s (register it with On)", c)
		}
		for _, r := range s.rules {
			if r.used == 0 {
				t.Errorf("executor.Stub: rule registered at %s never used: %s (remove it, or the code stopped running it)", r.at, r)
			}
		}
	})
	return s
}

type stubRule struct {
	name   string
	prefix []string
	result Result
	err    error
	used   int
	at     string // file:line of the On call, for the never-used report
}

func (r stubRule) String() string { return strings.Join(append([]string{r.name}, r.prefix...), " ") }

// On answers every call of name whose arguments start with argsPrefix. Among rules that
// match, the newest wins; a rule for the same name and prefix as an earlier one replaces it.
func (s *Stub) On(name string, argsPrefix []string, res Result, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := stubRule{name: name, prefix: argsPrefix, result: res, err: err}
	if _, file, line, ok := runtime.Caller(1); ok {
		r.at = filepath.Base(file) + ":" + strconv.Itoa(line)
	}
	s.rules = slices.DeleteFunc(s.rules, func(o stubRule) bool { return o.name == name && slices.Equal(o.prefix, argsPrefix) })
	s.rules = append(s.rules, r)
}

// Calls returns the command lines run so far, as "name arg arg…".
func (s *Stub) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.calls))
	for i, c := range s.calls {
		out[i] = c.String()
	}
	return out
}

// Unused returns the rules that no call matched, so a test can insist that each ran.
func (s *Stub) Unused() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.rules {
		if r.used == 0 {
			out = append(out, r.String())
		}
	}
	return out
}

// LookPath reports every program as installed except those in Missing.
func (s *Stub) LookPath(name string) (string, error) {
	if slices.Contains(s.Missing, name) {
		return "", &NotFoundError{Name: name}
	}
	return "/stub/bin/" + name, nil
}

// Run answers from the newest matching rule.
func (s *Stub) Run(_ context.Context, cmd Cmd) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, cmd)
	for i := len(s.rules) - 1; i >= 0; i-- {
		r := &s.rules[i]
		if r.name == cmd.Name && len(cmd.Args) >= len(r.prefix) && slices.Equal(cmd.Args[:len(r.prefix)], r.prefix) {
			r.used++
			if cmd.Stdout != nil {
				_, _ = cmd.Stdout.Write(r.result.Stdout)
			}
			if cmd.Stderr != nil {
				_, _ = cmd.Stderr.Write(r.result.Stderr)
			}
			return r.result, r.err
		}
	}
	s.unexpected = append(s.unexpected, cmd.String())
	return Result{}, fmt.Errorf("executor.Stub: unexpected command: %s", cmd)
}
