// Package toolgen adds a tool to a generated project: it renders the tool's file and test
// from a template and registers the tool in tools/tools.go. The registration is found
// with the Go syntax tree and inserted as one new line, so the rest of the file (the
// user's comments, formatting and other registrations) stays byte for byte as it was.
package toolgen

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"unicode"

	"github.com/mcpctl/mcpctl/internal/atomicfile"
	"github.com/mcpctl/mcpctl/templates"
)

// nameRE is the MCP tool-name rule: 1 to 64 of A-Z a-z 0-9 _ . -
var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// CheckName validates a tool name.
func CheckName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("tool name %q: use 1 to 64 letters, digits, '_', '-' or '.' (e.g. get_forecast)", name)
	}
	if !strings.ContainsFunc(name, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
		return fmt.Errorf("tool name %q has no letter or digit", name)
	}
	return nil
}

// File is one file the plan writes.
type File struct {
	Path string // relative to the project directory, slash-separated
	Data []byte
	New  bool // false: an existing file, edited
}

// Plan is everything Add would write, computed without writing.
type Plan struct {
	Name     string
	Kind     string
	Register string // the line added to tools/tools.go, without indentation
	Files    []File
}

// vars are the template values; identifiers derive from the tool name.
type vars struct {
	Name, Var, Func, Input, Output, Client, NewClient, EnvVar, Test string
}

// Prepare works out the files for a new tool called name of kind in the project at dir.
func Prepare(dir, name, kind string) (*Plan, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	if kind == "" {
		kind = "basic"
	}
	codeTmpl, testTmpl, err := templates.Tool(kind)
	if err != nil {
		return nil, err
	}
	toolsDir := filepath.Join(dir, "tools")
	registry := filepath.Join(toolsDir, "tools.go")
	src, err := os.ReadFile(registry)
	if err != nil {
		return nil, &Error{Err: fmt.Errorf("reading tools/tools.go: %w", err),
			Hint: "run mcpctl add tool in a project made by `mcpctl init` (it registers tools in tools/tools.go)"}
	}
	pkg, err := parseDir(toolsDir)
	if err != nil {
		return nil, err
	}
	if pkg.toolNames[name] {
		return nil, &Error{Err: fmt.Errorf("a tool called %q exists already", name), Hint: "choose another name"}
	}
	v := identifiers(name)
	base := fileBase(name)
	for _, f := range []string{base + ".go", base + "_test.go"} {
		if _, err := os.Stat(filepath.Join(toolsDir, f)); err == nil {
			return nil, &Error{Err: fmt.Errorf("tools/%s exists already; mcpctl add tool never overwrites a file", f),
				Hint: "choose another name, or move the file away"}
		}
	}
	idents := []string{v.Var, v.Input, v.Output, "Test" + v.Test}
	if kind == "http" {
		idents = append(idents, v.Client, v.NewClient)
	} else {
		idents = append(idents, v.Func)
	}
	for _, id := range idents {
		if pkg.idents[id] {
			return nil, &Error{Err: fmt.Errorf("package tools already declares %s, which a tool called %q needs", id, name),
				Hint: "choose another name"}
		}
	}

	p := &Plan{Name: name, Kind: kind}
	for _, t := range []struct{ path, tmpl string }{{base + ".go", codeTmpl}, {base + "_test.go", testTmpl}} {
		data, err := render(t.tmpl, v)
		if err != nil {
			return nil, fmt.Errorf("rendering the %s template: %w", kind, err)
		}
		p.Files = append(p.Files, File{Path: "tools/" + t.path, Data: data, New: true})
	}

	handler := v.Func
	if kind == "http" {
		handler = v.NewClient + "()." + v.Func
	}
	edited, line, err := register(src, v.Var, handler)
	if err != nil {
		return nil, err
	}
	p.Register = line
	p.Files = append(p.Files, File{Path: "tools/tools.go", Data: edited})
	return p, nil
}

// Apply writes the plan: the new files first, then tools/tools.go. New files are removed
// again when a later write fails.
func (p *Plan) Apply(dir string) error {
	var created []string
	undo := func() {
		for _, c := range created {
			os.Remove(c)
		}
	}
	for _, f := range p.Files {
		path := filepath.Join(dir, filepath.FromSlash(f.Path))
		mode := os.FileMode(0o644)
		if fi, err := os.Stat(path); err == nil {
			if f.New {
				undo()
				return fmt.Errorf("%s appeared while planning; nothing was changed", f.Path)
			}
			mode = fi.Mode().Perm()
		}
		if err := atomicfile.WriteFile(path, f.Data, mode); err != nil {
			undo()
			return err
		}
		if f.New {
			created = append(created, path)
		}
	}
	return nil
}

// Error is a refusal with the next step.
type Error struct {
	Err  error
	Hint string
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func render(tmpl string, v vars) ([]byte, error) {
	t, err := template.New("tool").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, v); err != nil {
		return nil, err
	}
	return format.Source(b.Bytes())
}

// identifiers derives Go names from a tool name: get_forecast → getForecast,
// getForecastTool, getForecastInput, TestGetForecast.
func identifiers(name string) vars {
	parts := strings.FieldsFunc(name, func(r rune) bool { return r == '_' || r == '-' || r == '.' })
	var b strings.Builder
	for i, p := range parts {
		if i == 0 {
			b.WriteString(strings.ToLower(p[:1]) + p[1:])
		} else {
			b.WriteString(strings.ToUpper(p[:1]) + p[1:])
		}
	}
	id := b.String()
	// A digit first, a keyword or a predeclared name (string, len) cannot be a package-level
	// function name.
	if unicode.IsDigit(rune(id[0])) || token.IsKeyword(id) || types.Universe.Lookup(id) != nil {
		id = "tool" + strings.ToUpper(id[:1]) + id[1:]
	}
	upper := strings.ToUpper(id[:1]) + id[1:]
	env := strings.ToUpper(strings.Map(func(r rune) rune {
		if r == '-' || r == '.' {
			return '_'
		}
		return r
	}, name))
	return vars{
		Name: name, Var: id + "Tool", Func: id, Input: id + "Input", Output: id + "Output",
		Client: id + "Client", NewClient: "new" + upper + "Client", EnvVar: env + "_URL", Test: upper,
	}
}

// fileBase is the file name for a tool: lower case, '-' and '.' as '_'.
func fileBase(name string) string {
	return strings.ToLower(strings.NewReplacer("-", "_", ".", "_").Replace(name))
}

type pkgInfo struct {
	idents    map[string]bool // package-level identifiers, test files included
	toolNames map[string]bool // string values of `Name:` fields in composite literals
}

func parseDir(dir string) (*pkgInfo, error) {
	info := &pkgInfo{idents: map[string]bool{}, toolNames: map[string]bool{}}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, &Error{Err: fmt.Errorf("tools/%s does not parse: %w", e.Name(), err), Hint: "fix it first (mcpctl dev shows the errors)"}
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					info.idents[d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.ValueSpec:
						for _, n := range s.Names {
							info.idents[n.Name] = true
						}
					case *ast.TypeSpec:
						info.idents[s.Name.Name] = true
					}
				}
			}
		}
		if strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			kv, ok := n.(*ast.KeyValueExpr)
			if !ok {
				return true
			}
			if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Name" {
				if lit, ok := kv.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil {
						info.toolNames[s] = true
					}
				}
			}
			return true
		})
	}
	return info, nil
}

// errNoRegister: tools.go has no func Register(s *mcp.Server).
var errNoRegister = errors.New("tools/tools.go has no func Register(s *mcp.Server) to add the tool to")

// register inserts `mcp.AddTool(s, toolVar, handler)` into Register: after its last
// top-level mcp.AddTool statement, else as its last statement. Only that line is added.
func register(src []byte, toolVar, handler string) ([]byte, string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "tools.go", src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, "", &Error{Err: fmt.Errorf("tools/tools.go does not parse: %w", err), Hint: "fix it first (mcpctl dev shows the errors)"}
	}
	mcpName := "mcp"
	for _, im := range f.Imports {
		if p, _ := strconv.Unquote(im.Path.Value); p == "github.com/modelcontextprotocol/go-sdk/mcp" && im.Name != nil {
			mcpName = im.Name.Name
		}
	}
	var fn *ast.FuncDecl
	for _, d := range f.Decls {
		if d, ok := d.(*ast.FuncDecl); ok && d.Recv == nil && d.Name.Name == "Register" && d.Body != nil {
			fn = d
		}
	}
	if fn == nil || len(fn.Type.Params.List) == 0 || len(fn.Type.Params.List[0].Names) == 0 {
		return nil, "", &Error{Err: errNoRegister, Hint: "register the tool yourself: mcp.AddTool(s, " + toolVar + ", " + handler + ")"}
	}
	server := fn.Type.Params.List[0].Names[0].Name
	line := fmt.Sprintf("%s.AddTool(%s, %s, %s)", mcpName, server, toolVar, handler)

	var anchor ast.Stmt
	for _, st := range fn.Body.List {
		if isAddTool(st, mcpName) {
			anchor = st
		}
	}
	var at int // byte offset to insert at
	var indent string
	if anchor != nil {
		end := fset.Position(anchor.End()).Offset
		// After the anchor's line, including a trailing comment on it.
		nl := bytes.IndexByte(src[end:], '\n')
		if nl < 0 {
			return nil, "", &Error{Err: errors.New("tools/tools.go ends inside Register"), Hint: "fix the file first"}
		}
		at = end + nl + 1
		indent = lineIndent(src, fset.Position(anchor.Pos()).Offset)
	} else {
		// Before the closing brace of Register, indented one level deeper than it.
		rbrace := fset.Position(fn.Body.Rbrace).Offset
		at = bytes.LastIndexByte(src[:rbrace], '\n') + 1
		indent = lineIndent(src, rbrace) + "\t"
	}
	out := make([]byte, 0, len(src)+len(indent)+len(line)+1)
	out = append(out, src[:at]...)
	out = append(out, indent+line+"\n"...)
	out = append(out, src[at:]...)
	return out, line, nil
}

func isAddTool(st ast.Stmt, mcpName string) bool {
	es, ok := st.(*ast.ExprStmt)
	if !ok {
		return false
	}
	call, ok := es.X.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		// mcp.AddTool[In, Out](…) with explicit type arguments
		if ix, ok := call.Fun.(*ast.IndexListExpr); ok {
			sel, _ = ix.X.(*ast.SelectorExpr)
		} else if ix, ok := call.Fun.(*ast.IndexExpr); ok {
			sel, _ = ix.X.(*ast.SelectorExpr)
		}
		if sel == nil {
			return false
		}
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == mcpName && sel.Sel.Name == "AddTool"
}

// lineIndent is the leading whitespace of the line holding offset.
func lineIndent(src []byte, offset int) string {
	start := bytes.LastIndexByte(src[:offset], '\n') + 1
	end := start
	for end < len(src) && (src[end] == ' ' || src[end] == '\t') {
		end++
	}
	return string(src[start:end])
}
