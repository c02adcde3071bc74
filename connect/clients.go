package connect

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

type format int

const (
	formatJSON format = iota + 1 // JSON, or JSON with comments (VS Code)
	formatTOML                   // Codex
	formatNone                   // no file (claude.ai)
)

// spec is everything mcpctl knows about one client.
type spec struct {
	id     Client
	title  string
	scopes []Scope // the first is the default
	format format
	// serversKey is the top-level member holding the servers (JSON clients).
	serversKey string
	path       func(e Env, s Scope, projectDir string) (string, error)
	// installed reports whether the client seems to be on this machine.
	installed func(e Env) bool
	// entry is the entry mcpctl wants under serversKey/NAME.
	entry func(r Request) (obj, error)
	// urls extracts the server URLs an existing entry points at.
	urls func(entry map[string]any) []string
	// advice says what to export and what to do next.
	advice func(r Request) (export, notes []string)
	// manual handles a client without a file.
	manual func(r Request, res Result) (Result, error)
}

func (s *spec) hasScope(sc Scope) bool { return slices.Contains(s.scopes, sc) }

// ClientInfo describes a client for listings and help.
type ClientInfo struct {
	ID     Client  `json:"id"`
	Title  string  `json:"title"`
	Scopes []Scope `json:"scopes"`
	// HasFile is false for clients configured in a web UI (claude.ai).
	HasFile bool `json:"hasFile"`
}

// Clients returns every supported client, in a fixed order.
func Clients() []ClientInfo {
	var out []ClientInfo
	for _, s := range specs() {
		out = append(out, ClientInfo{ID: s.id, Title: s.title, Scopes: slices.Clone(s.scopes), HasFile: s.format != formatNone})
	}
	return out
}

// ClientNames returns the ids of every client, for flag help and completion.
func ClientNames() []string {
	var out []string
	for _, s := range specs() {
		out = append(out, string(s.id))
	}
	return out
}

// DefaultScope is the scope a client gets without --scope: project where the client
// reads project files, user otherwise.
func DefaultScope(c Client) Scope {
	if s := specFor(c); s != nil {
		return s.scopes[0]
	}
	return ""
}

func specFor(c Client) *spec {
	for _, s := range specs() {
		if s.id == c {
			return s
		}
	}
	return nil
}

// specs builds the client table. It is a function, not a package variable, so that no
// caller can change it.
func specs() []*spec {
	return []*spec{
		{
			id: Cursor, title: "Cursor", scopes: []Scope{ScopeProject, ScopeUser}, format: formatJSON,
			serversKey: "mcpServers",
			path:       dotDirPath(".cursor", "mcp.json"),
			installed:  homeHas(".cursor"),
			entry: func(r Request) (obj, error) {
				return obj{{"url", r.URL}, {"headers", headers(r, "${env:"+r.KeyEnv+"}")}}, nil
			},
			urls:   stringFields("url"),
			advice: envAdvice("Cursor", "Cursor reads ${env:VAR} from its own environment; restart Cursor (or toggle the server in Settings → MCP) to load the entry"),
		},
		{
			id: ClaudeCode, title: "Claude Code", scopes: []Scope{ScopeProject, ScopeUser}, format: formatJSON,
			serversKey: "mcpServers",
			path:       claudeCodePath,
			installed: func(e Env) bool {
				if d := e.get("CLAUDE_CONFIG_DIR"); d != "" {
					return exists(d)
				}
				return homeHas(".claude.json")(e) || homeHas(".claude")(e)
			},
			entry: func(r Request) (obj, error) {
				return obj{{"type", "http"}, {"url", r.URL}, {"headers", headers(r, "${"+r.KeyEnv+"}")}}, nil
			},
			urls: stringFields("url"),
			advice: func(r Request) ([]string, []string) {
				export, notes := envAdvice("Claude Code", "export it before starting `claude`; check the server with /mcp")(r)
				switch {
				case r.Remove:
				case r.Scope == ScopeProject:
					notes = append(notes, "Claude Code asks each user to approve servers from .mcp.json the first time")
				default:
					// Claude Code rewrites ~/.claude.json while it runs and may undo an edit.
					notes = append(notes, "if Claude Code was running, restart it; check the server with `claude mcp list`")
				}
				return export, notes
			},
		},
		{
			id: ClaudeDesktop, title: "Claude Desktop", scopes: []Scope{ScopeUser}, format: formatJSON,
			serversKey: "mcpServers",
			path: func(e Env, _ Scope, _ string) (string, error) {
				dir, err := e.appConfigDir()
				return e.join(dir, "Claude", "claude_desktop_config.json"), err
			},
			installed: func(e Env) bool {
				dir, err := e.appConfigDir()
				return err == nil && exists(e.join(dir, "Claude"))
			},
			entry:  claudeDesktopEntry,
			urls:   argURLs,
			advice: claudeDesktopAdvice,
		},
		{
			id: VSCode, title: "VS Code", scopes: []Scope{ScopeProject, ScopeUser}, format: formatJSON,
			serversKey: "servers",
			path: func(e Env, s Scope, dir string) (string, error) {
				if s == ScopeProject {
					return joinPath(e.goos(), dir, ".vscode", "mcp.json"), nil
				}
				base, err := e.appConfigDir()
				return e.join(base, "Code", "User", "mcp.json"), err
			},
			installed: func(e Env) bool {
				base, err := e.appConfigDir()
				return err == nil && exists(e.join(base, "Code", "User"))
			},
			entry: func(r Request) (obj, error) {
				return obj{{"type", "http"}, {"url", r.URL}, {"headers", headers(r, "${input:"+inputID(r.KeyEnv)+"}")}}, nil
			},
			urls: stringFields("url"),
			advice: func(r Request) ([]string, []string) {
				if r.Remove {
					return nil, nil
				}
				if r.Auth != AuthAPIKey {
					return nil, []string{"VS Code runs the sign-in when the server first starts"}
				}
				// VS Code does not expand environment variables in headers, so it prompts
				// once and keeps the key in its secret storage instead.
				return nil, []string{fmt.Sprintf("VS Code asks for the key (input %q) when the server first starts: paste the value of %s from %s", inputID(r.KeyEnv), r.KeyEnv, r.EnvFile)}
			},
		},
		{
			id: Windsurf, title: "Windsurf", scopes: []Scope{ScopeUser}, format: formatJSON,
			serversKey: "mcpServers",
			path: func(e Env, _ Scope, _ string) (string, error) {
				home, err := e.home()
				return e.join(home, ".codeium", "windsurf", "mcp_config.json"), err
			},
			installed: homeHas(".codeium", "windsurf"),
			entry: func(r Request) (obj, error) {
				return obj{{"serverUrl", r.URL}, {"headers", headers(r, "${env:"+r.KeyEnv+"}")}}, nil
			},
			urls:   stringFields("serverUrl", "url"),
			advice: envAdvice("Windsurf", "Windsurf reads ${env:VAR} from its own environment; refresh the server in Windsurf's MCP panel"),
		},
		{
			id: Codex, title: "Codex CLI", scopes: []Scope{ScopeUser}, format: formatTOML,
			path: func(e Env, _ Scope, _ string) (string, error) {
				if d := e.get("CODEX_HOME"); d != "" {
					return e.join(d, "config.toml"), nil
				}
				home, err := e.home()
				return e.join(home, ".codex", "config.toml"), err
			},
			installed: func(e Env) bool {
				if d := e.get("CODEX_HOME"); d != "" {
					return exists(d)
				}
				return homeHas(".codex")(e)
			},
			urls: stringFields("url"),
			advice: func(r Request) ([]string, []string) {
				if r.Remove {
					return nil, nil
				}
				notes := []string{"Codex waits 10 s for a server to start; for a server that sleeps when idle, add startup_timeout_sec = 30 to the entry"}
				if r.Auth == AuthOAuth {
					return nil, append([]string{fmt.Sprintf("sign in with `codex mcp login %s`", r.Name)}, notes...)
				}
				if r.Auth != AuthAPIKey {
					return nil, notes
				}
				return []string{r.KeyEnv}, append([]string{fmt.Sprintf("Codex sends the value of %s as x-api-key; export it in the shell that runs codex", r.KeyEnv)}, notes...)
			},
		},
		{
			id: Gemini, title: "Gemini CLI", scopes: []Scope{ScopeProject, ScopeUser}, format: formatJSON,
			serversKey: "mcpServers",
			path:       dotDirPath(".gemini", "settings.json"),
			installed:  homeHas(".gemini"),
			entry: func(r Request) (obj, error) {
				// httpUrl is the deprecated spelling; two URLs in one entry would be ambiguous.
				return obj{{"type", "http"}, {"url", r.URL}, {"httpUrl", absent{}}, {"headers", headers(r, "${"+r.KeyEnv+"}")}}, nil
			},
			urls:   stringFields("url", "httpUrl"),
			advice: envAdvice("Gemini CLI", "export it before starting `gemini`; check the server with /mcp"),
		},
		{
			id: ClaudeAI, title: "claude.ai", scopes: []Scope{ScopeUser}, format: formatNone,
			installed: func(Env) bool { return true },
			manual:    claudeAISteps,
		},
	}
}

// headers is the headers member: the key reference for an API-key server; for OAuth and
// unauthenticated servers, no x-api-key (and no headers object if nothing else is left).
func headers(r Request, ref string) obj {
	if r.Auth == AuthAPIKey {
		return obj{{APIKeyHeader, ref}}
	}
	return obj{{APIKeyHeader, absent{}}}
}

// inputID is the VS Code input that holds the key: MCP_API_KEY → mcp-api-key.
func inputID(keyEnv string) string {
	return strings.ToLower(strings.ReplaceAll(keyEnv, "_", "-"))
}

func dotDirPath(dir, file string) func(Env, Scope, string) (string, error) {
	return func(e Env, s Scope, projectDir string) (string, error) {
		if s == ScopeProject {
			return joinPath(e.goos(), projectDir, dir, file), nil
		}
		home, err := e.home()
		return e.join(home, dir, file), err
	}
}

func claudeCodePath(e Env, s Scope, projectDir string) (string, error) {
	if s == ScopeProject {
		return joinPath(e.goos(), projectDir, ".mcp.json"), nil
	}
	if d := e.get("CLAUDE_CONFIG_DIR"); d != "" {
		return e.join(d, ".claude.json"), nil
	}
	home, err := e.home()
	return e.join(home, ".claude.json"), err
}

func homeHas(elem ...string) func(Env) bool {
	return func(e Env) bool {
		home, err := e.home()
		return err == nil && exists(e.join(append([]string{home}, elem...)...))
	}
}

func stringFields(keys ...string) func(map[string]any) []string {
	return func(entry map[string]any) []string {
		var out []string
		for _, k := range keys {
			if s, ok := entry[k].(string); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	}
}

// argURLs finds the URL in a stdio entry's arguments (bridge or mcp-remote).
func argURLs(entry map[string]any) []string {
	args, _ := entry["args"].([]any)
	var out []string
	for _, a := range args {
		s, ok := a.(string)
		if !ok {
			continue
		}
		if u, err := url.Parse(s); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			out = append(out, s)
		}
	}
	return out
}

func envAdvice(title, how string) func(Request) ([]string, []string) {
	return func(r Request) ([]string, []string) {
		if r.Remove {
			return nil, nil
		}
		switch r.Auth {
		case AuthOAuth:
			return nil, []string{title + " runs the OAuth sign-in in the browser when it first connects"}
		case AuthNone:
			return nil, nil
		}
		return []string{r.KeyEnv}, []string{fmt.Sprintf("%s sends the value of %s as x-api-key: %s", title, r.KeyEnv, strings.ReplaceAll(how, "VAR", r.KeyEnv))}
	}
}

// sameURL compares server URLs, ignoring a trailing slash and the case of scheme and host.
func sameURL(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host) &&
		strings.TrimSuffix(ua.EscapedPath(), "/") == strings.TrimSuffix(ub.EscapedPath(), "/") &&
		ua.RawQuery == ub.RawQuery
}
