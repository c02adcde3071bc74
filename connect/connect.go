// Package connect writes MCP client configurations (Cursor, Claude Code, Claude Desktop,
// VS Code, Windsurf, Codex, Gemini CLI) that point at a remote MCP server, and explains
// the steps for claude.ai, which has no file.
//
// Edits merge into the user's file: other servers, unknown fields, key order, formatting
// and comments survive; the write is atomic and the previous file is kept as FILE.bak; a
// second run changes nothing. Secrets never go into a file: every client gets a reference
// to an environment variable (or a VS Code input) in its own syntax. The one exception is
// Claude Desktop with --via mcp-remote, whose user-scope entry must carry the key itself.
package connect

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Client names an MCP client.
type Client string

// The supported clients.
const (
	Cursor        Client = "cursor"
	ClaudeCode    Client = "claude-code"
	ClaudeDesktop Client = "claude-desktop"
	VSCode        Client = "vscode"
	Windsurf      Client = "windsurf"
	Codex         Client = "codex"
	Gemini        Client = "gemini"
	ClaudeAI      Client = "claude-ai"
)

// Scope says whose configuration is changed: the project's (a file in the project,
// usually committed) or the user's (a file in the home directory).
type Scope string

// The scopes.
const (
	ScopeProject Scope = "project"
	ScopeUser    Scope = "user"
)

// Auth is how the server authenticates clients; it decides the headers an entry gets.
type Auth string

// The auth kinds, as in mcpctl.toml.
const (
	AuthAPIKey Auth = "apikey" // header x-api-key from an environment variable
	AuthOAuth  Auth = "oauth"  // no headers: the client runs the browser flow
	AuthNone   Auth = "none"   // no headers
)

// Via says how Claude Desktop, whose file cannot name a remote URL, reaches the server.
type Via string

// The ways to reach a remote server from Claude Desktop.
const (
	ViaBridge    Via = "bridge"     // `mcpctl bridge URL`, the key read from the project's .env
	ViaMCPRemote Via = "mcp-remote" // `npx -y mcp-remote URL`, the key in the entry's env
)

// Defaults, and the header generated servers read the key from.
const (
	DefaultKeyEnv  = "MCP_API_KEY"
	DefaultEnvFile = ".env"
	APIKeyHeader   = "x-api-key"
)

const (
	backupSuffix     = ".bak" // the previous file is kept as FILE.bak
	maxEntryNameSize = 64
)

// Request is one `mcpctl connect` run, as data.
type Request struct {
	Client Client
	Scope  Scope // empty: the client's default (project where the client has project files)
	Name   string
	URL    string
	Auth   Auth   // empty: apikey
	KeyEnv string // variable holding the API key; empty: MCP_API_KEY

	// ProjectDir is the project root (absolute): project-scope files live there, and the
	// bridge entry reads the key from its .env.
	ProjectDir string
	// Env locates user-scope files; tests point it at a temporary home.
	Env Env

	// Via, for Claude Desktop: empty means the bridge, or mcp-remote for OAuth servers
	// (the bridge cannot run a browser sign-in).
	Via Via
	// Command is the absolute path of the running mcpctl, which a bridge entry starts.
	Command string
	// EnvFile is where the bridge entry reads the key; empty: ProjectDir/.env.
	EnvFile string
	// APIKey is the key itself, needed only by Claude Desktop --via mcp-remote.
	APIKey string

	DryRun bool // compute the change and its diff, write nothing
	Remove bool // delete this entry (and nothing else)
}

// Action is what a run did (or, with DryRun, would do) to the file.
type Action string

// The actions.
const (
	Created   Action = "created"   // the file did not exist
	Updated   Action = "updated"   // the file changed
	Unchanged Action = "unchanged" // the file already had the entry: nothing written
	Removed   Action = "removed"   // the entry was deleted
	Absent    Action = "absent"    // --remove, and there was no entry
	Manual    Action = "manual"    // no file: follow Steps
)

// Result reports one run. Its JSON shape is part of `mcpctl connect --json`; fields are
// only ever added.
type Result struct {
	Client Client `json:"client"`
	Scope  Scope  `json:"scope,omitempty"`
	Name   string `json:"name"`
	URL    string `json:"url,omitempty"`
	Path   string `json:"path,omitempty"`
	Action Action `json:"action"`
	DryRun bool   `json:"dryRun,omitempty"`
	// Diff is the unified diff of the file (empty when nothing changes).
	Diff string `json:"diff,omitempty"`
	// Backup is where the previous file was saved, when one was written.
	Backup string `json:"backup,omitempty"`
	// Export lists the variables the user must export where the client runs.
	Export []string `json:"export,omitempty"`
	// Notes are things the user should know or do next (restart, approve, prompts).
	Notes []string `json:"notes,omitempty"`
	// Steps are the manual steps for a client without a file (claude.ai).
	Steps []string `json:"steps,omitempty"`
}

// ErrUnsupportedScope is returned for a scope a client does not have.
var ErrUnsupportedScope = errors.New("scope not supported")

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// ValidateName checks an entry name: letters, digits, '-' and '_' (what Claude Code
// accepts, and what every client's file can hold without quoting trouble).
func ValidateName(name string) error {
	if name == "" {
		return errors.New("the entry name is empty; pass --name")
	}
	if len(name) > maxEntryNameSize || !nameRE.MatchString(name) {
		return fmt.Errorf("invalid entry name %q: use letters, digits, '-' and '_' (at most %d)", name, maxEntryNameSize)
	}
	return nil
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// normalize fills defaults and checks the request.
func (r Request) normalize() (Request, *spec, error) {
	sp := specFor(r.Client)
	if sp == nil {
		return r, nil, fmt.Errorf("unknown client %q (one of %s)", r.Client, strings.Join(ClientNames(), ", "))
	}
	if r.Scope == "" {
		r.Scope = sp.scopes[0]
	}
	if !sp.hasScope(r.Scope) {
		return r, nil, fmt.Errorf("%s has no %s scope (use --scope %s): %w", sp.title, r.Scope, sp.scopes[0], ErrUnsupportedScope)
	}
	if err := ValidateName(r.Name); err != nil {
		return r, nil, err
	}
	if r.Auth == "" {
		r.Auth = AuthAPIKey
	}
	switch r.Auth {
	case AuthAPIKey, AuthOAuth, AuthNone:
	default:
		return r, nil, fmt.Errorf("unknown auth %q (apikey, oauth or none)", r.Auth)
	}
	if r.KeyEnv == "" {
		r.KeyEnv = DefaultKeyEnv
	}
	if !envNameRE.MatchString(r.KeyEnv) {
		return r, nil, fmt.Errorf("invalid environment variable name %q", r.KeyEnv)
	}
	if !r.Remove {
		if err := checkTargetURL(r.URL); err != nil {
			return r, nil, err
		}
	}
	if r.Scope == ScopeProject && r.ProjectDir == "" {
		return r, nil, errors.New("no project directory for a project-scope file")
	}
	if r.EnvFile == "" && r.ProjectDir != "" {
		r.EnvFile = joinPath(r.Env.goos(), r.ProjectDir, DefaultEnvFile)
	}
	return r, sp, nil
}

func checkTargetURL(raw string) error {
	if raw == "" {
		return errors.New("no server URL; pass --target local|deployed|URL")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL (want e.g. https://example.com/mcp)", raw)
	}
	return nil
}

// Apply makes the client's configuration hold (or, with Remove, no longer hold) the entry
// described by r, and reports what changed.
func Apply(r Request) (Result, error) {
	r, sp, err := r.normalize()
	if err != nil {
		return Result{Client: r.Client, Name: r.Name}, err
	}
	res := Result{Client: r.Client, Scope: r.Scope, Name: r.Name, URL: r.URL, DryRun: r.DryRun}
	if r.Remove {
		res.URL = ""
	}
	if sp.format == formatNone {
		return sp.manual(r, res)
	}
	path, err := sp.path(r.Env, r.Scope, r.ProjectDir)
	if err != nil {
		return res, err
	}
	res.Path = path
	return applyFile(r, sp, res)
}
