package connect

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aymanbagabas/go-udiff"
	"github.com/tailscale/hujson"

	"github.com/mcpctl/mcpctl/internal/atomicfile"
	"github.com/mcpctl/mcpctl/keys"
)

// ParseError reports a client file mcpctl cannot read, with the position of the problem.
// The file is left exactly as it was.
type ParseError struct {
	Path   string
	Line   int // 1-based; 0 when unknown
	Column int
	Err    error
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %v", e.Path, e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Hint says what to do next.
func (e *ParseError) Hint() string {
	return fmt.Sprintf("mcpctl did not change %s: fix the file (or move it away) and run the command again", e.Path)
}

var _ interface{ Hint() string } = (*ParseError)(nil)

// applyFile edits the client's file: read, merge in memory, then (unless nothing changed
// or this is a dry run) back up the old file and replace it atomically.
func applyFile(r Request, sp *spec, res Result) (Result, error) {
	old, err := os.ReadFile(res.Path)
	existed := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return res, fmt.Errorf("reading %s: %w", res.Path, err)
	}

	var updated []byte
	var found bool
	switch sp.format {
	case formatJSON:
		updated, found, err = editJSON(r, sp, res.Path, old)
	case formatTOML:
		updated, found, err = editCodex(r, res.Path, old)
	}
	if err != nil {
		return res, err
	}

	switch {
	case r.Remove && !found:
		res.Action = Absent
	case r.Remove:
		res.Action = Removed
	case !existed:
		res.Action = Created
	case bytes.Equal(old, updated):
		res.Action = Unchanged
	default:
		res.Action = Updated
	}
	res.Export, res.Notes = sp.advice(r)
	if r.Auth == AuthOAuth && !r.Remove {
		res.Notes = append(res.Notes, RegistrationNote(r.Client))
	}
	if res.Action == Absent || res.Action == Unchanged {
		return res, nil
	}
	if err := checkNoNewKeys(r, old, updated); err != nil {
		return res, err
	}
	res.Diff = diff(res.Path, old, updated, existed)
	if r.APIKey != "" {
		res.Diff = strings.ReplaceAll(res.Diff, r.APIKey, keys.Mask(r.APIKey))
	}
	if r.DryRun {
		return res, nil
	}
	backup, err := write(res.Path, old, existed, updated, r.Scope)
	res.Backup = backup
	return res, err
}

// checkNoNewKeys is a last guard against writing a key where it must not be: only a
// Claude Desktop entry for mcp-remote (a user-scope file) may carry one.
func checkNoNewKeys(r Request, old, updated []byte) error {
	if r.Client == ClaudeDesktop && r.via() == ViaMCPRemote && r.Scope == ScopeUser {
		return nil
	}
	before := keys.Find(old)
	for _, k := range keys.Find(updated) {
		if !slices.Contains(before, k) {
			return fmt.Errorf("refusing to write an API key into %s", r.Client)
		}
	}
	if r.APIKey != "" && bytes.Contains(updated, []byte(r.APIKey)) && !bytes.Contains(old, []byte(r.APIKey)) {
		return fmt.Errorf("refusing to write an API key into %s", r.Client)
	}
	return nil
}

// editJSON merges the entry into (or removes it from) a JSON client file.
func editJSON(r Request, sp *spec, path string, old []byte) ([]byte, bool, error) {
	d, err := parseJSONDoc(path, old)
	if err != nil {
		return nil, false, err
	}
	serversPtr := ptr(sp.serversKey)
	servers := d.find(serversPtr)
	if servers != nil {
		if _, ok := servers.Value.(*hujson.Object); !ok {
			return nil, false, d.errorAt(servers.StartOffset, "%q is not an object", sp.serversKey)
		}
	}
	var have *hujson.Value
	if o, ok := asObject(servers); ok {
		have = memberOf(o, r.Name)
	}
	found := have != nil
	entryPtr := serversPtr + ptr(r.Name)

	switch {
	case r.Remove:
		if found {
			if err := d.remove(entryPtr); err != nil {
				return nil, false, err
			}
		}
	default:
		want, err := sp.entry(r)
		if err != nil {
			return nil, false, err
		}
		switch _, isObj := asObject(have); {
		case servers == nil:
			err = d.set("", sp.serversKey, obj{{r.Name, want}}, 1)
		case !found || !isObj:
			err = d.set(serversPtr, r.Name, want, 2)
		default:
			err = d.merge(entryPtr, want, 3)
		}
		if err != nil {
			return nil, false, err
		}
	}
	if sp.id == VSCode {
		if err := d.syncInput(r); err != nil {
			return nil, false, err
		}
	}
	if r.Remove && !found {
		return old, false, nil
	}
	return d.bytes(), found, nil
}

// syncInput keeps VS Code's promptString input for the key: present (password: true)
// while an API-key entry uses it, removed once nothing refers to it.
func (d *jsonDoc) syncInput(r Request) error {
	id := inputID(r.KeyEnv)
	inputs := d.find("/inputs")
	var arr *hujson.Array
	if inputs != nil {
		var ok bool
		if arr, ok = inputs.Value.(*hujson.Array); !ok {
			return d.errorAt(inputs.StartOffset, `"inputs" is not an array`)
		}
	}
	idx := -1
	if arr != nil {
		for i := range arr.Elements {
			o, ok := asObject(&arr.Elements[i])
			if !ok {
				continue
			}
			if v := memberOf(o, "id"); v != nil {
				if lit, ok := v.Value.(hujson.Literal); ok && lit.Kind() == '"' && lit.String() == id {
					idx = i
					break
				}
			}
		}
	}
	if !r.Remove && r.Auth == AuthAPIKey {
		want := obj{
			{"type", "promptString"},
			{"id", id},
			{"description", ifMissing{fmt.Sprintf("API key for MCP servers made with mcpctl (%s in the project's .env)", r.KeyEnv)}},
			{"password", true},
		}
		switch {
		case arr == nil:
			return d.set("", "inputs", []any{want}, 1)
		case idx < 0:
			return d.appendElement("/inputs", want, 2)
		default:
			return d.merge(fmt.Sprintf("/inputs/%d", idx), want, 3)
		}
	}
	if idx >= 0 && !bytes.Contains(d.root.Pack(), []byte("${input:"+id+"}")) {
		// Only our element goes: an "inputs" array may be the user's, even when empty.
		return d.remove(fmt.Sprintf("/inputs/%d", idx))
	}
	return nil
}

// diff is a unified diff of the change, for --dry-run.
func diff(path string, old, updated []byte, existed bool) string {
	from := filepath.ToSlash(path)
	if !existed {
		from = "/dev/null"
	}
	out, err := udiff.ToUnified(from, filepath.ToSlash(path), string(old), lineEdits(string(old), string(updated)), udiff.DefaultContextLines)
	if err != nil {
		return fmt.Sprintf("(no diff: %v)", err)
	}
	return out
}

// lineEdits diffs whole lines: udiff's own diff works on characters, which splits lines
// oddly in a config file. Each distinct line becomes one rune (from U+10000 up, four
// bytes each in UTF-8), the rune strings are diffed, and the edits mapped back to lines.
func lineEdits(before, after string) []udiff.Edit {
	a, b := strings.SplitAfter(before, "\n"), strings.SplitAfter(after, "\n")
	ids := map[string]rune{}
	lines := []string{}
	encode := func(text []string) string {
		var sb strings.Builder
		for _, l := range text {
			id, ok := ids[l]
			if !ok {
				id = rune(0x10000 + len(lines))
				ids[l] = id
				lines = append(lines, l)
			}
			sb.WriteRune(id)
		}
		return sb.String()
	}
	ea, eb := encode(a), encode(b)
	offsets := make([]int, len(a)+1) // byte offset of each line of before
	for i, l := range a {
		offsets[i+1] = offsets[i] + len(l)
	}
	var edits []udiff.Edit
	for _, e := range udiff.Strings(ea, eb) {
		var sb strings.Builder
		for _, r := range e.New {
			sb.WriteString(lines[r-0x10000])
		}
		edits = append(edits, udiff.Edit{Start: offsets[e.Start/4], End: offsets[e.End/4], New: sb.String()})
	}
	return edits
}

// write backs up the previous file to FILE.bak and replaces FILE atomically, keeping its
// mode. A symlinked file (dotfile managers) is written through the link. New files are
// private in the user's home (they may name key files) and ordinary in a project.
func write(path string, old []byte, existed bool, data []byte, scope Scope) (backup string, err error) {
	mode, dirMode := fs.FileMode(0o644), fs.FileMode(0o755)
	if scope == ScopeUser {
		mode, dirMode = 0o600, 0o700
	}
	target := path
	if existed {
		if real, err := filepath.EvalSymlinks(path); err == nil {
			target = real
		}
		fi, err := os.Stat(target)
		if err != nil {
			return "", err
		}
		mode = fi.Mode().Perm()
		backup = target + backupSuffix
		if err := atomicfile.WriteFile(backup, old, mode); err != nil {
			return "", fmt.Errorf("backing up %s: %w", target, err)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
		return "", err
	}
	if err := atomicfile.WriteFile(target, data, mode); err != nil {
		return backup, fmt.Errorf("writing %s: %w", target, err)
	}
	return backup, nil
}
