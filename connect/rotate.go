package connect

import (
	"bytes"
	"fmt"
	"os"

	"github.com/mcpctl/mcpctl/internal/atomicfile"
	"github.com/mcpctl/mcpctl/keys"
)

// KeyChange says which key replaced which, for the clients configured for a project.
type KeyChange struct {
	ProjectDir string
	Env        Env
	// URLs are the project's server URLs (local and deployed).
	URLs []string
	// NewKey is the new plaintext key.
	NewKey string
}

// Restart is a configured client that must restart to use a new key.
type Restart struct {
	Client Client
	Scope  Scope
	Path   string
	// Moved names the entries that held the key itself and now hold the new one.
	Moved []string
	// Warnings say what could not be done, and what to do instead.
	Warnings []string
}

// UpdateKey lists the clients configured for the project, which must restart to use a
// new key, and moves the one kind of entry that holds the key itself (Claude Desktop
// through mcp-remote) to it; a backup that held the previous key gets the new one, so
// a replaced (perhaps leaked) key does not live on in FILE.bak.
func UpdateKey(ch KeyChange) []Restart {
	var out []Restart
	for _, st := range List(ListRequest{ProjectDir: ch.ProjectDir, Env: ch.Env, URLs: ch.URLs}) {
		if !st.Configured {
			continue
		}
		r := Restart{Client: st.Client, Scope: st.Scope, Path: st.Path}
		if st.Client == ClaudeDesktop {
			for _, name := range st.Entries {
				moveEntry(ch, st, name, &r)
			}
		}
		out = append(out, r)
	}
	return out
}

// moveEntry gives an mcp-remote entry the new key; a bridge entry reads .env when it
// starts, so it needs nothing.
func moveEntry(ch KeyChange, st Status, name string, r *Restart) {
	req := Request{Client: st.Client, Scope: st.Scope, Name: name, ProjectDir: ch.ProjectDir, Env: ch.Env}
	entry, _, err := Lookup(req)
	if err != nil || entry["command"] != "npx" {
		return
	}
	args, _ := entry["args"].([]any)
	if len(args) < 3 {
		return
	}
	req.URL, _ = args[2].(string)
	req.Via, req.APIKey = ViaMCPRemote, ch.NewKey
	res, err := Apply(req)
	if err != nil {
		r.Warnings = append(r.Warnings, fmt.Sprintf("could not move the Claude Desktop entry %q to the new key: %v", name, err))
		return
	}
	if err := scrubBackup(res.Backup, ch.NewKey); err != nil {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s still holds the previous key: %v; delete it", res.Backup, err))
	}
	r.Moved = append(r.Moved, name)
}

// scrubBackup rewrites the backup Apply made of a config that held a key in plaintext:
// every key in it becomes the new one, which keeps the backup a working restore point.
func scrubBackup(path, newKey string) error {
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out := data
	for _, k := range keys.Find(data) {
		if k != newKey {
			out = bytes.ReplaceAll(out, []byte(k), []byte(newKey))
		}
	}
	if bytes.Equal(out, data) {
		return nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, out, st.Mode().Perm())
}
