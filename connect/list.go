package connect

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sort"
)

// ListRequest asks which clients are configured for a project.
type ListRequest struct {
	ProjectDir string
	Env        Env
	// URLs are the project's server URLs (local and deployed): an entry pointing at one
	// of them counts as configured.
	URLs []string
}

// Status is one client and scope in `mcpctl connect --list`. Its JSON shape is part of
// `--json`; fields are only ever added.
type Status struct {
	Client Client `json:"client"`
	Title  string `json:"title"`
	Scope  Scope  `json:"scope"`
	Path   string `json:"path,omitempty"` // empty for clients without a file
	// Installed: the client's config directory exists on this machine.
	Installed bool `json:"installed"`
	// Exists: the config file exists.
	Exists bool `json:"exists"`
	// Configured: an entry points at one of the project's URLs.
	Configured bool `json:"configured"`
	// Entries are the names of those entries.
	Entries []string `json:"entries,omitempty"`
	// Error says why the file could not be read.
	Error string `json:"error,omitempty"`
}

// List reports every client and scope: its file, and whether it has an entry for one of
// the project's URLs. A file that cannot be read is reported in Status.Error, not as a
// failure of the whole listing.
func List(req ListRequest) []Status {
	var out []Status
	for _, sp := range specs() {
		for _, sc := range sp.scopes {
			st := Status{Client: sp.id, Title: sp.title, Scope: sc, Installed: sp.installed(req.Env)}
			if sp.format == formatNone {
				out = append(out, st)
				continue
			}
			if sc == ScopeProject && req.ProjectDir == "" {
				continue
			}
			path, err := sp.path(req.Env, sc, req.ProjectDir)
			if err != nil {
				st.Error = err.Error()
				out = append(out, st)
				continue
			}
			st.Path = path
			entries, exists, err := readEntries(sp, path)
			st.Exists = exists
			if err != nil {
				st.Error = err.Error()
			}
			for _, name := range sortedKeys(entries) {
				for _, u := range sp.urls(entries[name]) {
					if slices.ContainsFunc(req.URLs, func(want string) bool { return sameURL(u, want) }) {
						st.Entries = append(st.Entries, name)
						break
					}
				}
			}
			st.Configured = len(st.Entries) > 0
			out = append(out, st)
		}
	}
	return out
}

// Lookup returns the entry r names as it is in the client's file now (nil if there is
// none), and the file's path.
func Lookup(r Request) (map[string]any, string, error) {
	sp := specFor(r.Client)
	if sp == nil {
		return nil, "", fmt.Errorf("unknown client %q", r.Client)
	}
	if sp.format == formatNone {
		return nil, "", nil
	}
	if r.Scope == "" {
		r.Scope = sp.scopes[0]
	}
	if !sp.hasScope(r.Scope) {
		return nil, "", fmt.Errorf("%s has no %s scope: %w", sp.title, r.Scope, ErrUnsupportedScope)
	}
	path, err := sp.path(r.Env, r.Scope, r.ProjectDir)
	if err != nil {
		return nil, "", err
	}
	entries, _, err := readEntries(sp, path)
	if err != nil {
		return nil, path, err
	}
	return entries[r.Name], path, nil
}

// readEntries decodes the servers of a client file; a missing file has none.
func readEntries(sp *spec, path string) (map[string]map[string]any, bool, error) {
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var servers any
	switch sp.format {
	case formatTOML:
		_, doc, err := parseTOML(path, src)
		if err != nil {
			return nil, true, err
		}
		servers = doc["mcp_servers"]
	default:
		d, err := parseJSONDoc(path, src)
		if err != nil {
			return nil, true, err
		}
		if v := d.find(ptr(sp.serversKey)); v != nil {
			if servers, err = decode(*v); err != nil {
				return nil, true, err
			}
		}
	}
	m, _ := servers.(map[string]any)
	out := map[string]map[string]any{}
	for name, e := range m {
		if entry, ok := e.(map[string]any); ok {
			out[name] = entry
		}
	}
	return out, true, nil
}

func sortedKeys[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
