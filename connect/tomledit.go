package connect

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// Codex's config.toml is edited by byte ranges: go-toml's unstable parser gives the
// position of every top-level expression, and only the lines of the entry's own keys are
// replaced, inserted or deleted. Everything else (comments, order, spacing, other
// tables) stays byte for byte, which no TOML encoder can promise.

// tomlExpr is one top-level expression of a TOML document.
type tomlExpr struct {
	kind       unstable.Kind // Table, ArrayTable or KeyValue
	key        []string
	start, end int // whole lines: from the line's start to after its newline
	// valStart and valEnd delimit a KeyValue's value.
	valStart, valEnd int
}

func (e tomlExpr) isHeader() bool { return e.kind == unstable.Table || e.kind == unstable.ArrayTable }

func parseTOML(path string, src []byte) ([]tomlExpr, map[string]any, error) {
	doc := map[string]any{}
	if err := toml.Unmarshal(src, &doc); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, nil, &ParseError{Path: path, Line: row, Column: col, Err: errors.New(de.Error())}
		}
		return nil, nil, &ParseError{Path: path, Err: err}
	}
	var p unstable.Parser
	p.Reset(src)
	var exprs []tomlExpr
	for p.NextExpression() {
		e := p.Expression()
		if e.Kind != unstable.KeyValue && e.Kind != unstable.Table && e.Kind != unstable.ArrayTable {
			continue
		}
		x := tomlExpr{kind: e.Kind}
		keyStart, keyEnd := -1, 0
		for it := e.Key(); it.Next(); {
			k := it.Node()
			x.key = append(x.key, string(k.Data))
			if keyStart < 0 {
				keyStart = int(k.Raw.Offset)
			}
			keyEnd = int(k.Raw.Offset + k.Raw.Length)
		}
		x.start = lineStart(src, keyStart)
		if e.Kind == unstable.KeyValue {
			x.valEnd = int(e.Raw.Offset + e.Raw.Length)
			eq := keyEnd + bytes.IndexByte(src[keyEnd:x.valEnd], '=')
			x.valStart = eq + 1
			for x.valStart < x.valEnd && (src[x.valStart] == ' ' || src[x.valStart] == '\t') {
				x.valStart++
			}
			x.end = lineEnd(src, x.valEnd)
		} else {
			x.end = lineEnd(src, keyEnd)
		}
		exprs = append(exprs, x)
	}
	if err := p.Error(); err != nil {
		return nil, nil, &ParseError{Path: path, Err: err}
	}
	return exprs, doc, nil
}

func lineStart(src []byte, off int) int {
	return bytes.LastIndexByte(src[:off], '\n') + 1
}

// lineEnd is the offset after the newline ending the line that contains off (a trailing
// comment on that line belongs to the expression).
func lineEnd(src []byte, off int) int {
	if i := bytes.IndexByte(src[off:], '\n'); i >= 0 {
		return off + i + 1
	}
	return len(src)
}

type splice struct {
	start, end int
	text       string
}

func applySplices(src []byte, edits []splice) []byte {
	// Back to front, so offsets stay valid. Inserts at one offset are applied last
	// first, since each lands before the previous one: they end up in their given order.
	edits = slices.Clone(edits)
	slices.Reverse(edits)
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].start > edits[j].start })
	out := slices.Clone(src)
	for _, e := range edits {
		out = slices.Concat(out[:e.start], []byte(e.text), out[e.end:])
	}
	return out
}

// editCodex merges the entry [mcp_servers.NAME] into (or removes it from) config.toml.
func editCodex(r Request, path string, src []byte) ([]byte, bool, error) {
	exprs, doc, err := parseTOML(path, src)
	if err != nil {
		return nil, false, err
	}
	servers, _ := doc["mcp_servers"].(map[string]any)
	existing, found := servers[r.Name]
	entryKey := []string{"mcp_servers", r.Name}

	h := slices.IndexFunc(exprs, func(e tomlExpr) bool {
		return e.kind == unstable.Table && slices.Equal(e.key, entryKey)
	})
	if found && h < 0 {
		return nil, false, fmt.Errorf("%s: the entry mcp_servers.%s is written as an inline table or with dotted keys, which mcpctl does not edit; change it by hand, or delete it and run again", path, r.Name)
	}
	nl := "\n"
	if bytes.Contains(src, []byte("\r\n")) {
		nl = "\r\n"
	}

	if r.Remove {
		if !found {
			return src, false, nil
		}
		start, end := exprs[h].start, exprs[h].end
		for _, e := range exprs[h+1:] {
			if e.isHeader() && !hasPrefix(e.key, entryKey) {
				break
			}
			end = e.end // the entry's keys and its sub-tables ([mcp_servers.NAME.env], …)
		}
		// Comment lines right above the header describe the entry: they go with it.
		for start > 0 {
			prev := lineStart(src, start-1)
			if !bytes.HasPrefix(bytes.TrimLeft(src[prev:start], " \t"), []byte("#")) {
				break
			}
			start = prev
		}
		// Take one blank line above along, so removals leave no gaps.
		if bytes.HasSuffix(src[:start], []byte(nl+nl)) {
			start -= len(nl)
		} else if start == 0 {
			rest := src[end:]
			end += len(rest) - len(bytes.TrimLeft(rest, "\r\n")) // no blank first line
		}
		return applySplices(src, []splice{{start, end, ""}}), true, nil
	}

	headerLine := func(want map[string]string) string {
		return "env_http_headers = " + inlineTable(want) + nl
	}
	if !found {
		var b strings.Builder
		if len(src) > 0 {
			if !bytes.HasSuffix(src, []byte("\n")) {
				b.WriteString(nl)
			}
			b.WriteString(nl)
		}
		fmt.Fprintf(&b, "[mcp_servers.%s]%s", r.Name, nl)
		b.WriteString("url = " + tomlString(r.URL) + nl)
		if r.Auth == AuthAPIKey {
			b.WriteString(headerLine(map[string]string{APIKeyHeader: r.KeyEnv}))
		}
		return append(slices.Clone(src), b.String()...), false, nil
	}

	entry, ok := existing.(map[string]any)
	if !ok {
		return nil, false, fmt.Errorf("%s: mcp_servers.%s is not a table", path, r.Name)
	}
	sectionEnd := len(exprs)
	for j := h + 1; j < len(exprs); j++ {
		if exprs[j].isHeader() {
			sectionEnd = j
			break
		}
	}
	// The keys mcpctl owns must be plain `key = value` lines of the entry's own table.
	for i, e := range exprs {
		dotted := !e.isHeader() && i > h && i < sectionEnd && len(e.key) > 1 && isOwnedKey(e.key[0])
		subTable := e.isHeader() && len(e.key) > 2 && hasPrefix(e.key, entryKey) && isOwnedKey(e.key[2])
		if dotted || subTable {
			return nil, false, fmt.Errorf("%s: mcp_servers.%s sets %s in a form mcpctl does not edit; change it by hand", path, r.Name, strings.Join(e.key, "."))
		}
	}
	direct := func(name string) *tomlExpr {
		for i := h + 1; i < sectionEnd; i++ {
			if len(exprs[i].key) == 1 && exprs[i].key[0] == name {
				return &exprs[i]
			}
		}
		return nil
	}
	insertAt := exprs[h].end
	for i := h + 1; i < sectionEnd; i++ {
		insertAt = exprs[i].end
	}
	if insertAt == len(src) && len(src) > 0 && !bytes.HasSuffix(src, []byte("\n")) {
		src = append(slices.Clone(src), nl...) // a last line without newline gets one before ours
		insertAt = len(src)
	}

	var edits []splice
	if kv := direct("url"); kv == nil {
		edits = append(edits, splice{insertAt, insertAt, "url = " + tomlString(r.URL) + nl})
	} else if u, _ := entry["url"].(string); u != r.URL {
		edits = append(edits, splice{kv.valStart, kv.valEnd, tomlString(r.URL)})
	}

	want := map[string]string{}
	if have, ok := entry["env_http_headers"].(map[string]any); ok {
		for k, v := range have {
			if s, ok := v.(string); ok && !strings.EqualFold(k, APIKeyHeader) {
				want[k] = s
			}
		}
	}
	if r.Auth == AuthAPIKey {
		want[APIKeyHeader] = r.KeyEnv
	}
	if !sameHeaders(entry["env_http_headers"], want) {
		kv := direct("env_http_headers")
		switch {
		case len(want) == 0 && kv != nil:
			edits = append(edits, splice{kv.start, kv.end, ""})
		case len(want) == 0:
		case kv != nil:
			edits = append(edits, splice{kv.valStart, kv.valEnd, inlineTable(want)})
		default:
			edits = append(edits, splice{insertAt, insertAt, headerLine(want)})
		}
	}
	return applySplices(src, edits), true, nil
}

func isOwnedKey(k string) bool { return k == "url" || k == "env_http_headers" }

func hasPrefix(key, prefix []string) bool {
	return len(key) >= len(prefix) && slices.Equal(key[:len(prefix)], prefix)
}

func sameHeaders(have any, want map[string]string) bool {
	m, _ := have.(map[string]any)
	if len(m) != len(want) {
		return false
	}
	for k, v := range want {
		if m[k] != v {
			return false
		}
	}
	return true
}

// inlineTable writes headers as a TOML inline table, x-api-key first.
func inlineTable(h map[string]string) string {
	names := slices.Sorted(maps.Keys(h))
	slices.SortStableFunc(names, func(a, b string) int {
		switch {
		case a == APIKeyHeader:
			return -1
		case b == APIKeyHeader:
			return 1
		}
		return 0
	})
	parts := make([]string, 0, len(names))
	for _, n := range names {
		parts = append(parts, tomlString(n)+" = "+tomlString(h[n]))
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
