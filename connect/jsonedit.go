package connect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/tailscale/hujson"
)

// jsonDoc is a client's JSON or JSONC file under edit. Changes are RFC 6902 patches
// applied to hujson's syntax tree, which keeps every byte it is not told to change
// (comments, member order, formatting); new members are then indented like their
// neighbours.
type jsonDoc struct {
	path  string
	src   []byte
	bom   bool // the file starts with a UTF-8 byte order mark, which is kept
	root  hujson.Value
	style style
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// style is how the file is laid out, so that inserted text matches it.
type style struct {
	unit    string // one level of indentation; empty for a single-line file
	newline string // "\n" or "\r\n"
}

const defaultIndent = "  "

var hujsonErrRE = regexp.MustCompile(`^hujson: line (\d+), column (\d+): (.*)$`)

func parseJSONDoc(path string, src []byte) (*jsonDoc, error) {
	d := &jsonDoc{path: path, src: src, style: style{unit: defaultIndent, newline: "\n"}}
	if bytes.HasPrefix(src, utf8BOM) {
		d.bom, src = true, src[len(utf8BOM):]
		d.src = src
	}
	if len(bytes.TrimSpace(src)) == 0 {
		// A missing or empty file starts as an empty object.
		root, err := hujson.Parse([]byte("{}"))
		if err != nil {
			return nil, err
		}
		d.root = root
		return d, nil
	}
	root, err := hujson.Parse(src)
	if err != nil {
		pe := &ParseError{Path: path, Err: err}
		if m := hujsonErrRE.FindStringSubmatch(err.Error()); m != nil {
			pe.Line, _ = strconv.Atoi(m[1])
			pe.Column, _ = strconv.Atoi(m[2])
			pe.Err = fmt.Errorf("%s", m[3])
		}
		return nil, pe
	}
	d.root = root
	if _, ok := root.Value.(*hujson.Object); !ok {
		return nil, d.errorAt(root.StartOffset, "the top level is not a JSON object")
	}
	if err := d.checkDuplicates(&d.root); err != nil {
		return nil, err
	}
	if bytes.Contains(src, []byte("\r\n")) {
		d.style.newline = "\r\n"
	}
	d.style.unit = detectIndent(root.Value.(*hujson.Object))
	return d, nil
}

// checkDuplicates refuses an object with a member name twice: clients disagree on which
// one counts (most take the last), so an entry written into either may never be seen.
func (d *jsonDoc) checkDuplicates(v *hujson.Value) error {
	switch t := v.Value.(type) {
	case *hujson.Object:
		seen := map[string]bool{}
		for i := range t.Members {
			m := &t.Members[i]
			name := m.Name.Value.(hujson.Literal).String()
			if seen[name] {
				return d.errorAt(m.Name.StartOffset, "%q appears twice in one object; clients disagree on which one counts, so remove or merge one", name)
			}
			seen[name] = true
			if err := d.checkDuplicates(&m.Value); err != nil {
				return err
			}
		}
	case *hujson.Array:
		for i := range t.Elements {
			if err := d.checkDuplicates(&t.Elements[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// detectIndent reads the indentation of the top-level members: the unit of the whole
// file, assuming it is consistent. A file whose members share one line stays compact.
func detectIndent(o *hujson.Object) string {
	if len(o.Members) == 0 {
		return defaultIndent
	}
	ws := o.Members[0].Name.BeforeExtra
	i := bytes.LastIndexByte(ws, '\n')
	if i < 0 {
		return ""
	}
	indent := string(ws[i+1:])
	if indent == "" || strings.Trim(indent, " \t") != "" {
		return defaultIndent
	}
	return indent
}

func (d *jsonDoc) errorAt(offset int, format string, args ...any) *ParseError {
	line, col := lineCol(d.src, offset)
	return &ParseError{Path: d.path, Line: line, Column: col, Err: fmt.Errorf(format, args...)}
}

func lineCol(b []byte, n int) (int, int) {
	n = min(n, len(b))
	line := 1 + bytes.Count(b[:n], []byte("\n"))
	col := 1 + n - (bytes.LastIndexByte(b[:n], '\n') + 1)
	return line, col
}

func (d *jsonDoc) bytes() []byte {
	out := d.root.Pack()
	if len(bytes.TrimSpace(d.src)) == 0 && !bytes.HasSuffix(out, []byte("\n")) {
		out = append(out, d.style.newline...) // a file mcpctl creates ends with a newline
	}
	if d.bom {
		out = append(slices.Clone(utf8BOM), out...)
	}
	return out
}

// ptr builds an RFC 6901 JSON pointer.
func ptr(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(p))
	}
	return b.String()
}

func (d *jsonDoc) find(p string) *hujson.Value {
	if p == "" {
		return &d.root
	}
	return d.root.Find(p)
}

func memberOf(o *hujson.Object, name string) *hujson.Value {
	for i := range o.Members {
		if lit, ok := o.Members[i].Name.Value.(hujson.Literal); ok && lit.String() == name {
			return &o.Members[i].Value
		}
	}
	return nil
}

func (d *jsonDoc) patch(op, p string, value []byte) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, `[{"op":%q,"path":%s`, op, strconv.Quote(p))
	if value != nil {
		b.WriteString(`,"value":`)
		b.Write(value)
	}
	b.WriteString(`}]`)
	if err := d.root.Patch(b.Bytes()); err != nil {
		return fmt.Errorf("editing %s at %s: %w", d.path, p, err)
	}
	return nil
}

// indent is the indentation of members at depth (1 = members of the root object).
func (d *jsonDoc) indent(depth int) string {
	return strings.Repeat(d.style.unit, max(depth, 0))
}

// set adds or replaces the member name of the object at parent (at depth), formatted
// like the rest of the file.
func (d *jsonDoc) set(parent, name string, v any, depth int) error {
	prefix := d.indent(depth)
	val, err := render(v, prefix, d.style.unit, d.style.newline)
	if err != nil {
		return err
	}
	p := parent + ptr(name)
	pv := d.find(parent)
	o, _ := pv.Value.(*hujson.Object)
	if o != nil && memberOf(o, name) != nil {
		return d.patch("replace", p, val)
	}
	if err := d.patch("add", p, val); err != nil {
		return err
	}
	if d.style.unit == "" {
		return nil
	}
	o = d.find(parent).Value.(*hujson.Object)
	for i := range o.Members {
		if lit, ok := o.Members[i].Name.Value.(hujson.Literal); ok && lit.String() == name {
			m := &o.Members[i]
			m.Name.BeforeExtra = withBreak(m.Name.BeforeExtra, d.style.newline+prefix)
			m.Name.AfterExtra = nil
			m.Value.BeforeExtra = hujson.Extra(" ")
			if i == len(o.Members)-1 && !bytes.Contains(o.AfterExtra, []byte("\n")) {
				o.AfterExtra = withBreak(o.AfterExtra, d.style.newline+d.indent(depth-1))
			}
			break
		}
	}
	return nil
}

// appendElement adds v at the end of the array at p (its elements at depth).
func (d *jsonDoc) appendElement(p string, v any, depth int) error {
	prefix := d.indent(depth)
	val, err := render(v, prefix, d.style.unit, d.style.newline)
	if err != nil {
		return err
	}
	if err := d.patch("add", p+"/-", val); err != nil {
		return err
	}
	if d.style.unit == "" {
		return nil
	}
	arr := d.find(p).Value.(*hujson.Array)
	last := &arr.Elements[len(arr.Elements)-1]
	last.BeforeExtra = withBreak(last.BeforeExtra, d.style.newline+prefix)
	if !bytes.Contains(arr.AfterExtra, []byte("\n")) {
		arr.AfterExtra = withBreak(arr.AfterExtra, d.style.newline+d.indent(depth-1))
	}
	return nil
}

// remove deletes the member or element at p; an object left empty is written as {}.
func (d *jsonDoc) remove(p string) error {
	parent := d.find(p[:strings.LastIndexByte(p, '/')])
	// hujson hands the removed member's leading whitespace to the closing bracket when
	// the last member goes; remember how the bracket was indented to restore it.
	closing := closingIndent(parent)
	if err := d.patch("remove", p, nil); err != nil {
		return err
	}
	var after *hujson.Extra
	var n int
	switch c := parent.Value.(type) {
	case *hujson.Object:
		after, n = &c.AfterExtra, len(c.Members)
	case *hujson.Array:
		after, n = &c.AfterExtra, len(c.Elements)
	default:
		return nil
	}
	switch {
	case n == 0 && isBlank(*after):
		*after = nil
	case closing != "":
		*after = withBreak(*after, closing)
	}
	return nil
}

// closingIndent is the line break and indentation before a container's closing bracket,
// or "" if the bracket does not start its own line.
func closingIndent(v *hujson.Value) string {
	var after hujson.Extra
	switch c := v.Value.(type) {
	case *hujson.Object:
		after = c.AfterExtra
	case *hujson.Array:
		after = c.AfterExtra
	}
	i := bytes.LastIndexByte(after, '\n')
	if i < 0 || strings.Trim(string(after[i+1:]), " \t") != "" {
		return ""
	}
	if i > 0 && after[i-1] == '\r' {
		i--
	}
	return string(after[i:])
}

func isBlank(b []byte) bool { return len(bytes.TrimSpace(b)) == 0 }

// withBreak replaces the whitespace at the end of extra (keeping any comment) with ws.
func withBreak(extra hujson.Extra, ws string) hujson.Extra {
	trimmed := bytes.TrimRight(extra, " \t\r\n")
	out := make(hujson.Extra, 0, len(trimmed)+len(ws))
	out = append(out, trimmed...)
	return append(out, ws...)
}

// merge makes the object at p (its members at depth) contain want: members named in want
// are added, replaced or removed; all others are left exactly as they are.
func (d *jsonDoc) merge(p string, want obj, depth int) error {
	for _, m := range want {
		o := d.find(p).Value.(*hujson.Object)
		have := memberOf(o, m.key)
		child := p + ptr(m.key)
		switch v := m.val.(type) {
		case absent:
			if have != nil {
				if err := d.remove(child); err != nil {
					return err
				}
			}
		case ifMissing:
			if have == nil {
				if err := d.set(p, m.key, v.val, depth); err != nil {
					return err
				}
			}
		case obj:
			hobj, isObj := asObject(have)
			switch {
			case have == nil && v.empty():
			case have == nil:
				if err := d.set(p, m.key, v, depth); err != nil {
					return err
				}
			case !isObj && v.empty():
				// Nothing of ours can be inside a non-object.
			case !isObj:
				if err := d.set(p, m.key, v, depth); err != nil {
					return err
				}
			case v.empty() && onlyNamed(hobj, v):
				// Removing our members would leave an empty object: remove it instead.
				if err := d.remove(child); err != nil {
					return err
				}
			default:
				if err := d.merge(child, v, depth+1); err != nil {
					return err
				}
			}
		default:
			if have == nil || !equalJSON(*have, v) {
				if err := d.set(p, m.key, v, depth); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// asObject is the object v holds, if it holds one; nil-safe.
func asObject(v *hujson.Value) (*hujson.Object, bool) {
	if v == nil {
		return nil, false
	}
	o, ok := v.Value.(*hujson.Object)
	return o, ok
}

// onlyNamed reports whether every member of o is one that want names.
func onlyNamed(o *hujson.Object, want obj) bool {
	for _, m := range o.Members {
		lit, _ := m.Name.Value.(hujson.Literal)
		if _, ok := want.get(lit.String()); !ok {
			return false
		}
	}
	return true
}

// equalJSON compares a value in the file with a wanted one by meaning, not spelling.
func equalJSON(have hujson.Value, want any) bool {
	h := have.Clone()
	h.Standardize()
	var a, b any
	if err := json.Unmarshal(h.Pack(), &a); err != nil {
		return false
	}
	raw, err := marshal(want)
	if err != nil {
		return false
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}

// decode returns the standard-JSON meaning of v.
func decode(v hujson.Value) (any, error) {
	c := v.Clone()
	c.Standardize()
	var out any
	err := json.Unmarshal(c.Pack(), &out)
	return out, err
}
