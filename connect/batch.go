package connect

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/mcpctl/mcpctl/internal/envfile"
)

// Batch is one `mcpctl connect` over several clients: the same entry for each.
type Batch struct {
	// Base is the entry; its Client is set per client.
	Base    Request
	Clients []Client
	// KeepGoing reports a client's failure and goes on with the next (`connect all`);
	// otherwise the first failure is the error.
	KeepGoing bool
	// Executable returns the running mcpctl's path (a bridge entry starts it);
	// LookPath finds mcpctl on PATH; Getenv reads the shell's environment.
	Executable func() (string, error)
	LookPath   func(string) (string, error)
	Getenv     func(string) string
}

// Report is what a Batch did: one result per client, and the clients that failed. Its
// JSON shape is `mcpctl connect --json`; fields are only ever added.
type Report struct {
	Results  []Result  `json:"results"`
	Failures []Failure `json:"failures,omitempty"`
}

// Failure is a client a Batch could not configure.
type Failure struct {
	Client Client `json:"client"`
	Error  string `json:"error"`
}

// ApplyAll applies the entry to each client of b.
func ApplyAll(b Batch) (Report, error) {
	report := Report{Results: []Result{}}
	for _, c := range b.Clients {
		r := b.Base
		r.Client = c
		if c == ClaudeDesktop {
			if err := b.desktopInputs(&r); err != nil {
				report.Failures = append(report.Failures, Failure{c, err.Error()})
				continue
			}
		}
		res, err := Apply(r)
		if err != nil {
			if !b.KeepGoing {
				return report, err
			}
			report.Failures = append(report.Failures, Failure{c, err.Error()})
			continue
		}
		report.Results = append(report.Results, res)
	}
	return report, nil
}

// desktopInputs fills what a Claude Desktop entry needs: the path of this mcpctl for a
// bridge entry, the key itself for mcp-remote.
func (b Batch) desktopInputs(r *Request) error {
	exe, err := b.Executable()
	if err != nil {
		return fmt.Errorf("finding the mcpctl executable: %w", err)
	}
	r.Command = StableExecutable(exe, b.LookPath)
	if r.Via == ViaMCPRemote && (r.Auth == "" || r.Auth == AuthAPIKey) && !r.Remove {
		vars, err := envfile.Read(r.EnvFile)
		if err != nil {
			return err
		}
		r.APIKey = vars[r.KeyEnv]
		if r.APIKey == "" && b.Getenv != nil {
			r.APIKey = b.Getenv(r.KeyEnv)
		}
	}
	return nil
}

// StableExecutable prefers the mcpctl found on PATH when it is this very binary: a
// package manager's symlink (/opt/homebrew/bin/mcpctl) survives upgrades, the versioned
// path behind it does not.
func StableExecutable(exe string, lookPath func(string) (string, error)) string {
	if lookPath == nil {
		return exe
	}
	p, err := lookPath("mcpctl")
	if err != nil {
		return exe
	}
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	a, errA := os.Stat(p)
	b, errB := os.Stat(exe)
	if errA == nil && errB == nil && os.SameFile(a, b) {
		return p
	}
	return exe
}

// Installed returns every client with a file that is installed here and has scope (any
// scope when empty), for `connect all`.
func Installed(env Env, scope Scope) ([]Client, error) {
	installed := map[Client]bool{}
	for _, st := range List(ListRequest{Env: env}) {
		installed[st.Client] = installed[st.Client] || st.Installed
	}
	var out []Client
	for _, c := range Clients() {
		if !c.HasFile || !installed[c.ID] {
			continue
		}
		if scope != "" && !slices.Contains(c.Scopes, scope) {
			continue
		}
		out = append(out, c.ID)
	}
	if len(out) == 0 {
		return nil, errors.New("found no MCP client on this machine; name one, e.g. `mcpctl connect cursor`")
	}
	return out, nil
}
