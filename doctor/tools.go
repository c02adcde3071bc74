package doctor

import (
	"context"
	"fmt"
	"go/ast"
	"strings"
)

// sdkMCP is the import path of the go-sdk's mcp package.
const sdkMCP = "github.com/modelcontextprotocol/go-sdk/mcp"

// toolsDir is where a project made by `mcpctl init` keeps its tools.
const toolsDir = "tools"

// unregisteredTool is a tool or tool handler declared in tools/ that no code refers to,
// so it is never added to the server: clients do not see it, and nothing fails.
type unregisteredTool struct {
	at      pos
	tool    string // the *mcp.Tool as an AddTool argument ("forecastTool", "forecastTool()"), or ""
	handler string // the handler as an AddTool argument ("forecast", "<value>.forecast"), or ""
	raw     bool   // the handler is an mcp.ToolHandler (registered with Server.AddTool)
}

// registration is where the project adds its tools: the function that calls AddTool.
type registration struct {
	at     pos
	fn     string // e.g. "Register"
	server string // the server expression of the first call, e.g. "s"
}

func (u unregisteredTool) title() string {
	switch {
	case u.tool != "" && u.handler != "":
		return fmt.Sprintf("tool %s and its handler %s are never registered", u.tool, u.handler)
	case u.tool != "":
		return fmt.Sprintf("tool %s is never registered", u.tool)
	}
	return fmt.Sprintf("tool handler %s is never registered", u.handler)
}

func (u unregisteredTool) fix(reg *registration) string {
	tool, handler := u.tool, u.handler
	if tool == "" {
		tool = "<its *mcp.Tool>"
	}
	if handler == "" {
		handler = "<its handler>"
	}
	server := "s"
	if reg != nil && reg.server != "" {
		server = reg.server
	}
	call := fmt.Sprintf("mcp.AddTool(%s, %s, %s)", server, tool, handler)
	if u.raw {
		call = fmt.Sprintf("%s.AddTool(%s, %s)", server, tool, handler)
	}
	if reg == nil {
		return "add " + call + " where the server's tools are registered (tools/tools.go in a project made by `mcpctl init`)"
	}
	return fmt.Sprintf("add %s in %s (%s)", call, reg.fn, reg.at.file)
}

// UnregisteredTools lists, as one line each with its fix, the tools and tool handlers
// declared in the project's tools/ package that are never registered. mcpctl dev shows
// them after each successful build. Files that do not parse are left out (the build
// reports them).
func UnregisteredTools(dir string) []string {
	src := loadSources(dir)
	reg := src.registration()
	var out []string
	for _, u := range src.unregisteredTools() {
		out = append(out, u.at.String()+": "+u.title()+": "+u.fix(reg))
	}
	return out
}

// checkTools reports tools declared in tools/ that no code registers.
func checkTools(_ context.Context, p *project) outcome {
	files := 0
	for _, f := range p.src.nonTest() {
		if inToolsDir(f) {
			files++
		}
	}
	if files == 0 {
		return skip("no " + toolsDir + "/ package")
	}
	reg := p.src.registration()
	var fs []Finding
	for _, u := range p.src.unregisteredTools() {
		fs = append(fs, Finding{
			ID: IDToolUnregistered, Severity: SeverityWarning, File: u.at.file, Line: u.at.line,
			Title:  fmt.Sprintf("%s: %s", u.at, u.title()),
			Detail: "A tool reaches clients only through mcp.AddTool; this one is declared but nothing adds it, so tools/list leaves it out and calls to it fail as unknown.",
			Fix:    u.fix(reg),
		})
	}
	if len(fs) > 0 {
		return outcome{findings: fs}
	}
	if reg == nil {
		return pass("no tool declared without registration")
	}
	return pass(fmt.Sprintf("every tool in %s/ is registered (%s)", toolsDir, reg.at))
}

func inToolsDir(f *goFile) bool {
	return f.dir == toolsDir || strings.HasPrefix(f.dir, toolsDir+"/")
}

// registration finds the function in tools/ that adds tools to the server.
func (s *sources) registration() *registration {
	for _, f := range s.nonTest() {
		if !inToolsDir(f) {
			continue
		}
		for _, d := range f.ast.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			var found *registration
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || found != nil || calleeName(call.Fun) != "AddTool" {
					return found == nil
				}
				found = &registration{at: s.pos(f, call.Pos()), fn: fn.Name.Name}
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && f.imports[exprString(sel.X)] == sdkMCP && len(call.Args) > 0 {
					found.server = exprString(call.Args[0]) // mcp.AddTool(s, …)
				} else if ok {
					found.server = exprString(sel.X) // s.AddTool(…)
				}
				return false
			})
			if found != nil {
				return found
			}
		}
	}
	return nil
}

// unregisteredTools finds, in tools/, package-level *mcp.Tool values (and functions that
// return one) and tool handlers that no non-test file of the project refers to. It reads
// syntax only (no type checking), so it works on code that does not compile yet, and it
// errs on the side of silence: any reference at all counts as registered.
func (s *sources) unregisteredTools() []unregisteredTool {
	used := map[string]int{} // identifier → references, declarations included
	for _, f := range s.nonTest() {
		ast.Inspect(f.ast, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				used[id.Name]++
			}
			return true
		})
	}
	var out []unregisteredTool
	for _, f := range s.nonTest() {
		mcpName := ""
		for name, p := range f.imports {
			if p == sdkMCP {
				mcpName = name
			}
		}
		if !inToolsDir(f) || mcpName == "" || mcpName == "." || mcpName == "_" {
			continue
		}
		isMCP := func(e ast.Expr, name string) bool { return isQualified(e, mcpName, name) }
		var tools, handlers []unregisteredTool
		for _, d := range f.ast.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					vs, ok := spec.(*ast.ValueSpec)
					if !ok {
						continue
					}
					for i, name := range vs.Names {
						isTool := vs.Type != nil && (isMCP(vs.Type, "Tool") || isMCP(deref(vs.Type), "Tool"))
						if i < len(vs.Values) {
							isTool = isTool || isToolLiteral(vs.Values[i], isMCP)
						}
						if isTool && name.Name != "_" && used[name.Name] == 1 {
							tools = append(tools, unregisteredTool{at: s.pos(f, name.Pos()), tool: name.Name})
						}
					}
				}
			case *ast.FuncDecl:
				if d.Name.Name == "_" || used[d.Name.Name] != 1 {
					continue
				}
				ft := d.Type
				switch {
				case d.Recv == nil && len(fieldTypes(ft.Results)) == 1 && isMCP(deref(fieldTypes(ft.Results)[0]), "Tool"):
					tools = append(tools, unregisteredTool{at: s.pos(f, d.Name.Pos()), tool: d.Name.Name + "()"})
				case isHandler(ft, isMCP):
					u := unregisteredTool{at: s.pos(f, d.Name.Pos()), handler: d.Name.Name, raw: len(fieldTypes(ft.Params)) == 2}
					if d.Recv != nil {
						u.handler = "<value>." + d.Name.Name
					}
					handlers = append(handlers, u)
				}
			}
		}
		// One tool and one handler left over in a file are one forgotten registration.
		if len(tools) == 1 && len(handlers) == 1 {
			tools[0].handler, tools[0].raw = handlers[0].handler, handlers[0].raw
			handlers = nil
		}
		out = append(out, tools...)
		out = append(out, handlers...)
	}
	return out
}

// isHandler matches the two handler shapes of the go-sdk:
// func(context.Context, *mcp.CallToolRequest, In) (*mcp.CallToolResult, Out, error) for
// mcp.AddTool, and func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error)
// for Server.AddTool.
func isHandler(ft *ast.FuncType, isMCP func(ast.Expr, string) bool) bool {
	params, results := fieldTypes(ft.Params), fieldTypes(ft.Results)
	if len(params) < 2 || len(params) > 3 || len(results) != len(params) {
		return false
	}
	return isMCP(deref(params[1]), "CallToolRequest") && isMCP(deref(results[0]), "CallToolResult")
}

// isToolLiteral matches &mcp.Tool{…} and mcp.Tool{…}.
func isToolLiteral(e ast.Expr, isMCP func(ast.Expr, string) bool) bool {
	if u, ok := e.(*ast.UnaryExpr); ok {
		e = u.X
	}
	cl, ok := e.(*ast.CompositeLit)
	return ok && cl.Type != nil && isMCP(cl.Type, "Tool")
}

// fieldTypes lists one type per parameter or result (a, b int is two ints).
func fieldTypes(fl *ast.FieldList) []ast.Expr {
	if fl == nil {
		return nil
	}
	var out []ast.Expr
	for _, f := range fl.List {
		for range max(len(f.Names), 1) {
			out = append(out, f.Type)
		}
	}
	return out
}

func deref(e ast.Expr) ast.Expr {
	if st, ok := e.(*ast.StarExpr); ok {
		return st.X
	}
	return e
}

// isQualified matches pkg.Name.
func isQualified(e ast.Expr, pkg, name string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != name {
		return false
	}
	x, ok := sel.X.(*ast.Ident)
	return ok && x.Name == pkg
}

// exprString renders a simple expression (an identifier or a selector) for a message.
func exprString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return exprString(e.X) + "." + e.Sel.Name
	case *ast.StarExpr:
		return exprString(e.X)
	}
	return ""
}
