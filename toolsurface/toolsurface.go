// Package toolsurface compares two tool lists (what `tools/list` returns) and classifies
// every difference: a tool added, removed or changed, and whether the change breaks a
// client built against the old list (a removed tool, a new required argument, a removed
// property, a narrowed type, enum or bound) or is compatible.
//
// Inputs and outputs point in opposite directions: a client sends arguments and reads
// structured results, so narrowing an input breaks callers while widening an output does.
package toolsurface

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Tool is one entry of a tools/list result, as it travels on the wire.
type Tool struct {
	Name         string          `json:"name"`
	Title        string          `json:"title,omitempty"`
	Description  string          `json:"description,omitempty"`
	InputSchema  json.RawMessage `json:"inputSchema,omitempty"`
	OutputSchema json.RawMessage `json:"outputSchema,omitempty"`
	Annotations  json.RawMessage `json:"annotations,omitempty"`
}

// Change kinds.
const (
	ToolAdded          = "tool added"
	ToolRemoved        = "tool removed"
	TitleChanged       = "title changed"
	DescriptionChanged = "description changed"
	AnnotationsChanged = "annotations changed"
	PropertyAdded      = "property added"
	PropertyRemoved    = "property removed"
	RequiredAdded      = "now required"
	RequiredRemoved    = "no longer required"
	TypeNarrowed       = "type narrowed"
	TypeWidened        = "type widened"
	TypeChanged        = "type changed"
	EnumNarrowed       = "enum narrowed"
	EnumWidened        = "enum widened"
	BoundNarrowed      = "bound narrowed"
	BoundWidened       = "bound widened"
	PatternChanged     = "pattern changed"
	ExtraNarrowed      = "additional properties refused"
	ExtraWidened       = "additional properties allowed"
	DefaultChanged     = "default changed"
	SchemaAdded        = "schema added"
	SchemaRemoved      = "schema removed"
	SchemaChanged      = "schema changed"
)

// Change is one classified difference.
type Change struct {
	Tool string `json:"tool"`
	Kind string `json:"kind"`
	// Where is the schema location: "input.name", "output.address.city", "input.tags[]";
	// empty for tool-level changes.
	Where    string `json:"where,omitempty"`
	Detail   string `json:"detail"`
	Breaking bool   `json:"breaking"`
}

func (c Change) String() string {
	mark := "~"
	switch {
	case c.Kind == ToolAdded:
		mark = "+"
	case c.Kind == ToolRemoved:
		mark = "-"
	case c.Breaking:
		mark = "!"
	}
	s := mark + " " + c.Tool
	if c.Where != "" {
		s += " " + c.Where
	}
	s += ": " + c.Detail
	if c.Breaking {
		s += " (breaking)"
	}
	return s
}

// Diff is the comparison of two tool lists. Its JSON form is what `mcpctl diff --json`
// prints; fields are only ever added.
type Diff struct {
	Added     []string `json:"added"`
	Removed   []string `json:"removed"`
	Changed   []string `json:"changed"`
	Breaking  bool     `json:"breaking"`
	Changes   []Change `json:"changes"`
	Unchanged int      `json:"unchanged"`
}

// Empty reports whether the two lists describe the same surface.
func (d Diff) Empty() bool { return len(d.Changes) == 0 }

// Summary is one line: "2 added, 1 removed, 1 changed; breaking".
func (d Diff) Summary() string {
	if d.Empty() {
		return "no changes to the tools"
	}
	var parts []string
	for _, p := range []struct {
		n    int
		verb string
	}{{len(d.Added), "added"}, {len(d.Removed), "removed"}, {len(d.Changed), "changed"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s %s", p.n, plural(p.n, "tool", "tools"), p.verb))
		}
	}
	s := strings.Join(parts, ", ")
	if d.Breaking {
		n := 0
		for _, c := range d.Changes {
			if c.Breaking {
				n++
			}
		}
		s += fmt.Sprintf("; %d breaking %s", n, plural(n, "change", "changes"))
	} else {
		s += "; compatible"
	}
	return s
}

// Lines is the diff as text, one change a line, breaking ones marked.
func (d Diff) Lines() []string {
	lines := make([]string, len(d.Changes))
	for i, c := range d.Changes {
		lines[i] = c.String()
	}
	return lines
}

// Compare classifies every difference between the old and the new tool list.
func Compare(old, new []Tool) Diff {
	d := Diff{Added: []string{}, Removed: []string{}, Changed: []string{}, Changes: []Change{}}
	before, after := byName(old), byName(new)
	for _, name := range unionKeys(before, after) {
		o, inOld := before[name]
		n, inNew := after[name]
		switch {
		case !inOld:
			d.Added = append(d.Added, name)
			d.Changes = append(d.Changes, Change{Tool: name, Kind: ToolAdded, Detail: "new tool"})
		case !inNew:
			d.Removed = append(d.Removed, name)
			d.Changes = append(d.Changes, Change{Tool: name, Kind: ToolRemoved, Detail: "tool removed; clients calling it get an error", Breaking: true})
		default:
			cs := compareTool(o, n)
			if len(cs) == 0 {
				d.Unchanged++
				continue
			}
			d.Changed = append(d.Changed, name)
			d.Changes = append(d.Changes, cs...)
		}
	}
	for _, c := range d.Changes {
		d.Breaking = d.Breaking || c.Breaking
	}
	return d
}

// unionKeys is the keys of a and b, sorted, each once.
func unionKeys[V any](a, b map[string]V) []string {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func byName(tools []Tool) map[string]Tool {
	m := make(map[string]Tool, len(tools))
	for _, t := range tools {
		m[t.Name] = t
	}
	return m
}

func compareTool(o, n Tool) []Change {
	var cs []Change
	add := func(kind, detail string) {
		cs = append(cs, Change{Tool: o.Name, Kind: kind, Detail: detail})
	}
	if o.Title != n.Title {
		add(TitleChanged, fmt.Sprintf("title %q → %q", o.Title, n.Title))
	}
	if o.Description != n.Description {
		add(DescriptionChanged, "description changed (the model reads it to decide when to call the tool)")
	}
	if !jsonEqual(o.Annotations, n.Annotations) {
		add(AnnotationsChanged, annotationsDetail(o.Annotations, n.Annotations))
	}
	c := &comparer{tool: o.Name}
	c.schemaPair("input", o.InputSchema, n.InputSchema, true)
	c.schemaPair("output", o.OutputSchema, n.OutputSchema, false)
	return append(cs, c.changes...)
}

// annotationsDetail names the hints that changed: readOnlyHint true → false.
func annotationsDetail(o, n json.RawMessage) string {
	var a, b map[string]any
	_ = json.Unmarshal(o, &a)
	_ = json.Unmarshal(n, &b)
	var parts []string
	for _, k := range unionKeys(a, b) {
		av, aok := a[k]
		bv, bok := b[k]
		switch {
		case !aok:
			parts = append(parts, fmt.Sprintf("%s set to %s", k, compact(bv)))
		case !bok:
			parts = append(parts, fmt.Sprintf("%s (was %s) removed", k, compact(av)))
		case compact(av) != compact(bv):
			parts = append(parts, fmt.Sprintf("%s %s → %s", k, compact(av), compact(bv)))
		}
	}
	if len(parts) == 0 {
		return "annotations changed"
	}
	return "annotations: " + strings.Join(parts, ", ")
}

func jsonEqual(a, b json.RawMessage) bool {
	if len(bytes.TrimSpace(a)) == 0 || len(bytes.TrimSpace(b)) == 0 {
		return len(bytes.TrimSpace(a)) == len(bytes.TrimSpace(b))
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	return compact(x) == compact(y)
}

// compact is v as canonical JSON (map keys sorted by encoding/json).
func compact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
