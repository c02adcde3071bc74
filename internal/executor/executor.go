// Package executor runs external programs (git, go, heroku) from argv slices, never through
// a shell, so that their command lines are data tests can assert on.
package executor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

// Cmd is one external program invocation.
type Cmd struct {
	Name  string
	Args  []string
	Dir   string
	Env   []string // appended to the current environment; nil keeps it unchanged
	Stdin io.Reader
	// Stdout and Stderr, when set, receive the output as it is produced (in addition to
	// Result), for commands whose progress the user should see.
	Stdout io.Writer
	Stderr io.Writer
	// Timeout, when set, bounds the command: past it the process is killed and Run
	// returns a *TimeoutError naming the command.
	Timeout time.Duration
	// Group runs the command in its own process group, killed whole on cancel, and on
	// Linux killed when mcpctl dies however it dies: for builds, which must not outlive
	// the dev loop that started them. Not for commands that may prompt on the terminal.
	Group bool
}

// String renders the command line for messages; it is not meant for a shell.
func (c Cmd) String() string {
	return strings.Join(append([]string{c.Name}, c.Args...), " ")
}

// Result is what a finished command produced.
type Result struct {
	Stdout   []byte
	Stderr   []byte
	ExitCode int
}

// Executor runs commands. The real one is System; tests substitute their own.
type Executor interface {
	Run(ctx context.Context, cmd Cmd) (Result, error)
	LookPath(name string) (string, error)
}

// ExitError reports a command that ran and exited non-zero.
type ExitError struct {
	Cmd      Cmd
	ExitCode int
	Stderr   []byte
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("%s: exit status %d", e.Cmd, e.ExitCode)
	if tail := lastLines(e.Stderr, 5); tail != "" {
		msg += ": " + tail
	}
	return msg
}

// TimeoutError reports a command killed because it ran longer than its Cmd.Timeout.
type TimeoutError struct {
	Cmd   Cmd
	After time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s did not finish within %s and was stopped", e.Cmd, e.After)
}

// Timeout marks the error as a timeout for errors.Is(err, context.DeadlineExceeded)
// users and the exit-code mapping.
func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

// NotFoundError reports a program that is not installed.
type NotFoundError struct{ Name string }

func (e *NotFoundError) Error() string { return e.Name + ": not found on PATH" }

// System runs real processes.
type System struct{}

// LookPath resolves a program on PATH.
func (System) LookPath(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", &NotFoundError{Name: name}
	}
	return p, nil
}

// Run runs cmd to completion. A non-zero exit is returned as *ExitError alongside the
// Result, a missing program as *NotFoundError.
func (s System) Run(ctx context.Context, cmd Cmd) (Result, error) {
	parent := ctx
	if cmd.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cmd.Timeout)
		defer cancel()
	}
	c := exec.CommandContext(ctx, cmd.Name, cmd.Args...)
	// A killed program's children (heroku is a node process tree) may hold its output
	// pipes open; stop waiting for them soon after.
	c.WaitDelay = 5 * time.Second
	if cmd.Group {
		group(c)
	}
	c.Dir = cmd.Dir
	if cmd.Env != nil {
		c.Env = append(c.Environ(), cmd.Env...)
	}
	c.Stdin = cmd.Stdin
	var stdout, stderr bytes.Buffer
	c.Stdout = teeTo(&stdout, cmd.Stdout)
	c.Stderr = teeTo(&stderr, cmd.Stderr)
	err := c.Run()
	res := Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	var exitErr *exec.ExitError
	switch {
	case err != nil && cmd.Timeout > 0 && parent.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return res, &TimeoutError{Cmd: cmd, After: cmd.Timeout}
	case err == nil:
	case errors.As(err, &exitErr):
		res.ExitCode = exitErr.ExitCode()
		return res, &ExitError{Cmd: cmd, ExitCode: res.ExitCode, Stderr: res.Stderr}
	case errors.Is(err, exec.ErrNotFound):
		return res, &NotFoundError{Name: cmd.Name}
	default:
		return res, fmt.Errorf("%s: %w", cmd, err)
	}
	return res, nil
}

func teeTo(buf *bytes.Buffer, w io.Writer) io.Writer {
	if w == nil {
		return buf
	}
	return io.MultiWriter(buf, w)
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
