package runner

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"github.com/mcpctl/mcpctl/internal/executor"
)

// build compiles the project into out, in its own process group that dies with mcpctl
// (a SIGKILLed dev leaves no go build behind). It returns everything go printed; err is non-nil
// when the build failed or was cancelled.
func (r *Runner) build(ctx context.Context, out string) (string, error) {
	args := []string{"build", "-o", out}
	args = append(args, r.opts.BuildFlags...)
	args = append(args, r.opts.Package)
	res, err := r.opts.Executor.Run(ctx, executor.Cmd{Name: "go", Args: args, Dir: r.opts.Dir, Group: true})
	return string(res.Stdout) + string(res.Stderr), err
}

// diagRE matches go's "file.go:line:col: message" (col optional). Go prints paths relative
// to the working directory, sometimes with a leading "./".
var diagRE = regexp.MustCompile(`^(\S[^:]*\.go):(\d+)(?::(\d+))?: (.*)$`)

// parseCompileErrors extracts file:line:col diagnostics from go build output. Lines it does
// not understand (package headers, "go: ..." module errors) stay only in the raw output.
func parseCompileErrors(output string) []CompileError {
	var errs []CompileError
	for _, line := range strings.Split(output, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.HasPrefix(line, "\t") && len(errs) > 0 {
			// Continuation of the previous diagnostic (e.g. "have/want" detail).
			errs[len(errs)-1].Message += "\n" + strings.TrimSpace(line)
			continue
		}
		m := diagRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		ln, _ := strconv.Atoi(m[2])
		col, _ := strconv.Atoi(m[3])
		errs = append(errs, CompileError{
			File:    strings.TrimPrefix(m[1], "./"),
			Line:    ln,
			Col:     col,
			Message: m[4],
		})
	}
	return errs
}

// authFromEnv reads the generated server's auth settings from the environment it is
// started with (later entries win, as for exec). The names are the server contract.
func authFromEnv(env []string) Auth {
	mode, key := "", ""
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "MCP_AUTH":
			mode = v
		case "MCP_API_KEY":
			key = v
		}
	}
	if mode == "" && key != "" {
		mode = "apikey"
	}
	switch mode {
	case "apikey":
		return Auth{Mode: mode, Header: "x-api-key", Value: key}
	case "oauth":
		return Auth{Mode: mode, Header: "Authorization", Value: "Bearer <access token from your identity provider>"}
	default:
		return Auth{Mode: mode}
	}
}

// envValue returns the last value of key in env.
func envValue(env []string, key string) string {
	val := ""
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			val = v
		}
	}
	return val
}
