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
	c := exec.CommandContext(ctx, cmd.Name, cmd.Args...)
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
