package connect

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"path/filepath"

	"github.com/mcpctl/mcpctl/internal/mcpwire"
)

// via is the way Claude Desktop reaches the server: what was asked, else the bridge,
// except for OAuth servers, whose browser sign-in only mcp-remote can run.
func (r Request) via() Via {
	if r.Via != "" {
		return r.Via
	}
	if r.Auth == AuthOAuth {
		return ViaMCPRemote
	}
	return ViaBridge
}

// claudeDesktopEntry is a stdio entry, since Claude Desktop's file cannot name a remote
// URL.
//
// The key: Claude Desktop starts servers with a bare environment and its file is the
// user's, not the project's, so a variable reference would resolve to nothing. The
// default entry runs `mcpctl bridge … --env-file PROJECT/.env`: the bridge reads the key
// from the project's .env (mode 0600) at start, so no copy of it is written anywhere and
// `mcpctl keys rotate` needs no change here. mcp-remote cannot read a .env, so with
// --via mcp-remote the key is in the entry's env, in plaintext, in a user-scope file
// (never a project one); the result says so.
func claudeDesktopEntry(r Request) (obj, error) {
	switch r.via() {
	case ViaBridge:
		if r.Auth == AuthOAuth {
			return nil, errors.New("mcpctl bridge cannot run an OAuth sign-in; use --via mcp-remote, or add the server in Claude Desktop under Settings → Connectors")
		}
		if r.Command == "" || !isAbs(r.Command) {
			return nil, fmt.Errorf("the bridge entry needs the absolute path of mcpctl, got %q", r.Command)
		}
		args := []string{"bridge", r.URL}
		if r.Auth == AuthAPIKey {
			if r.EnvFile == "" || !isAbs(r.EnvFile) {
				return nil, fmt.Errorf("the bridge entry needs the absolute path of the project's .env, got %q", r.EnvFile)
			}
			args = append(args, "--key-env", r.KeyEnv, "--env-file", r.EnvFile)
		}
		// env: a key left there by an earlier --via mcp-remote must go.
		return obj{{"command", r.Command}, {"args", args}, {"env", obj{{r.KeyEnv, absent{}}}}}, nil
	case ViaMCPRemote:
		args := []string{"-y", "mcp-remote", r.URL}
		if u, err := url.Parse(r.URL); err == nil && u.Scheme == "http" && !mcpwire.IsLoopbackHost(u.Hostname()) {
			args = append(args, "--allow-http") // mcp-remote refuses plain http elsewhere
		}
		env := obj{{r.KeyEnv, absent{}}}
		if r.Auth == AuthAPIKey {
			if r.APIKey == "" {
				return nil, fmt.Errorf("--via mcp-remote needs the key itself (mcp-remote cannot read %s); create one with `mcpctl keys new`", r.EnvFile)
			}
			// No space after the colon: Windows splits arguments at spaces.
			args = append(args, "--header", APIKeyHeader+":${"+r.KeyEnv+"}")
			env = obj{{r.KeyEnv, r.APIKey}}
		}
		return obj{{"command", "npx"}, {"args", args}, {"env", env}}, nil
	default:
		return nil, fmt.Errorf("unknown --via %q (bridge or mcp-remote)", r.Via)
	}
}

func claudeDesktopAdvice(r Request) ([]string, []string) {
	restart := "quit Claude Desktop completely and start it again to load the change"
	if r.Remove {
		return nil, []string{restart}
	}
	notes := []string{restart}
	switch {
	case r.via() == ViaBridge && r.Auth == AuthAPIKey:
		notes = append(notes, fmt.Sprintf("the entry runs %s, which reads %s from %s each time it starts: nothing to export, and a rotated key is picked up on restart", r.Command, r.KeyEnv, r.EnvFile))
	case r.via() == ViaBridge:
		notes = append(notes, fmt.Sprintf("the entry runs %s; run connect again if mcpctl moves", r.Command))
	case r.Auth == AuthAPIKey:
		notes = append(notes,
			"mcp-remote runs through npx, which needs Node.js",
			fmt.Sprintf("the key is stored in plaintext in this user-scope file (entry env %s); the default bridge entry avoids that, and `mcpctl keys rotate` rewrites it", r.KeyEnv))
	default:
		notes = append(notes, "mcp-remote runs through npx, which needs Node.js, and opens the browser to sign in")
	}
	return nil, notes
}

// isAbs accepts absolute paths of either OS, since the file may be for another one.
func isAbs(p string) bool {
	if filepath.IsAbs(p) || path.IsAbs(p) {
		return true
	}
	// C:\… or C:/…
	return len(p) > 2 && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}
