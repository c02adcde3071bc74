package executor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Stub is an Executor for tests: it answers registered command lines with canned results,
// records every call, and fails on a command nobody expected.
type Stub struct {
	// Missing lists programs LookPath reports as not installed.
	Missing []string

	mu    sync.Mutex
	rules []stubRule
	calls []Cmd
}

type stubRule struct {
	name   string
	prefix []string
	result Result
	err    error
	used   int
}

// On answers every call of name whose arguments start with argsPrefix.
// A later rule for the same command line wins.
func (s *Stub) On(name string, argsPrefix []string, res Result, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = append(s.rules, stubRule{name: name, prefix: argsPrefix, result: res, err: err})
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
			out = append(out, strings.Join(append([]string{r.name}, r.prefix...), " "))
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
	return Result{}, fmt.Errorf("executor.Stub: unexpected command: %s", cmd)
}
