package doctor

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"net"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/mcpctl/mcpctl/internal/mcpwire"
)

// sources are the project's Go files, parsed. The checks read the syntax tree rather
// than grepping, so that comments, strings in other roles and test files do not count.
type sources struct {
	fset      *token.FileSet
	files     []*goFile
	parseErrs int      // files that did not parse (the build check reports why)
	mains     []string // slash dirs, relative to the project, of main packages
}

type goFile struct {
	rel     string // slash path relative to the project
	dir     string // slash dir relative to the project, "." for the root
	test    bool
	ast     *ast.File
	imports map[string]string // local name → import path
}

// loadSources parses every Go file the go command would consider for this platform,
// the way `./...` walks: skipping vendor, testdata, dot and underscore directories and
// nested modules.
func loadSources(dir string) *sources {
	s := &sources{fset: token.NewFileSet()}
	mains := map[string]bool{}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable entries are the build check's business
		}
		name := d.Name()
		if d.IsDir() {
			if p == dir {
				return nil
			}
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "vendor" || name == "testdata" || name == "node_modules" {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			return nil
		}
		// Build constraints: skip "ignore" files and other platforms' files, as go build does.
		if ok, err := build.Default.MatchFile(filepath.Dir(p), name); err != nil || !ok {
			return nil
		}
		f, err := parser.ParseFile(s.fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			s.parseErrs++
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		gf := &goFile{
			rel:     filepath.ToSlash(rel),
			dir:     filepath.ToSlash(filepath.Dir(rel)),
			test:    strings.HasSuffix(name, "_test.go"),
			ast:     f,
			imports: imports(f),
		}
		s.files = append(s.files, gf)
		if !gf.test && f.Name.Name == "main" {
			mains[gf.dir] = true
		}
		return nil
	})
	for d := range mains {
		s.mains = append(s.mains, d)
	}
	slices.Sort(s.mains)
	return s
}

func imports(f *ast.File) map[string]string {
	m := map[string]string{}
	for _, im := range f.Imports {
		p, err := strconv.Unquote(im.Path.Value)
		if err != nil {
			continue
		}
		name := path.Base(p)
		if im.Name != nil {
			name = im.Name.Name
		}
		m[name] = p
	}
	return m
}

// pos is a place in the project's source.
type pos struct {
	file string
	line int
}

func (s *sources) pos(f *goFile, p token.Pos) pos {
	return pos{file: f.rel, line: s.fset.Position(p).Line}
}

func (p pos) String() string { return p.file + ":" + strconv.Itoa(p.line) }

// nonTest returns the files that make up the program (no tests).
func (s *sources) nonTest() []*goFile {
	var out []*goFile
	for _, f := range s.files {
		if !f.test {
			out = append(out, f)
		}
	}
	return out
}

// stringLit returns the value of a string literal.
func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	v, err := strconv.Unquote(lit.Value)
	return v, err == nil
}

// calleeName is the name of the called function or method: ListenAndServe for
// http.ListenAndServe(…) and srv.ListenAndServe().
func calleeName(e ast.Expr) string {
	switch f := e.(type) {
	case *ast.SelectorExpr:
		return f.Sel.Name
	case *ast.Ident:
		return f.Name
	case *ast.IndexExpr: // generic instantiation
		return calleeName(f.X)
	}
	return ""
}

// typeName is the name of a composite literal's type: Server for http.Server{…}.
func typeName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.SelectorExpr:
		return t.Sel.Name
	case *ast.Ident:
		return t.Name
	}
	return ""
}

// portReads returns where the program mentions the PORT variable: any "PORT" string
// literal, which is how os.Getenv, os.LookupEnv and the generated server's getenv name it.
func (s *sources) portReads() []pos {
	var out []pos
	for _, f := range s.nonTest() {
		ast.Inspect(f.ast, func(n ast.Node) bool {
			if v, ok := stringLit(exprOf(n)); ok && v == "PORT" {
				out = append(out, s.pos(f, n.Pos()))
			}
			return true
		})
	}
	return out
}

func exprOf(n ast.Node) ast.Expr {
	e, _ := n.(ast.Expr)
	return e
}

// listenFuncs take a listen address as an argument: net/http, net, and the Run/Start
// methods of the common routers (gin, echo, fiber).
var listenFuncs = []string{"ListenAndServe", "ListenAndServeTLS", "Listen", "ListenTLS", "Run", "RunTLS", "Start", "StartTLS"}

// listenUse is a listen address the program fixes in its source.
type listenUse struct {
	at       pos
	addr     string // as written, e.g. ":8080" or `"127.0.0.1:" + port`
	loopback bool   // bound to a loopback host: unreachable from the platform's router
	fixed    bool   // the port is a constant
}

// listens finds listen addresses written into the program: a constant "host:port" or a
// loopback host, passed to a listen function or set as http.Server's Addr. Addresses
// computed from variables (as the generated server's are) are not reported.
func (s *sources) listens() []listenUse {
	var out []listenUse
	for _, f := range s.nonTest() {
		ast.Inspect(f.ast, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if !slices.Contains(listenFuncs, calleeName(n.Fun)) {
					return true
				}
				for _, a := range n.Args {
					if u, ok := classifyAddr(a); ok {
						u.at = s.pos(f, a.Pos())
						out = append(out, u)
					}
				}
			case *ast.CompositeLit:
				if typeName(n.Type) != "Server" {
					return true
				}
				for _, el := range n.Elts {
					kv, ok := el.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					if k, ok := kv.Key.(*ast.Ident); !ok || k.Name != "Addr" {
						continue
					}
					if u, ok := classifyAddr(kv.Value); ok {
						u.at = s.pos(f, kv.Value.Pos())
						out = append(out, u)
					}
				}
			}
			return true
		})
	}
	return out
}

// classifyAddr recognises listen addresses fixed in source: ":8080", "0.0.0.0:3000",
// "localhost:8000", and loopback hosts with a computed port ("127.0.0.1:"+port,
// fmt.Sprintf("localhost:%s", port), net.JoinHostPort("127.0.0.1", port)).
func classifyAddr(e ast.Expr) (listenUse, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		v, ok := stringLit(e)
		if !ok {
			return listenUse{}, false
		}
		host, port, err := net.SplitHostPort(v)
		if err != nil || !isListenHost(host) {
			return listenUse{}, false
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return listenUse{}, false
		}
		return listenUse{addr: strconv.Quote(v), fixed: true, loopback: mcpwire.IsLoopbackHost(host)}, true
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return listenUse{}, false
		}
		left := e.X
		for {
			b, ok := left.(*ast.BinaryExpr)
			if !ok || b.Op != token.ADD {
				break
			}
			left = b.X
		}
		if v, ok := stringLit(left); ok && loopbackPrefix(v) {
			return listenUse{addr: strconv.Quote(v) + " + …", loopback: true}, true
		}
	case *ast.CallExpr:
		if len(e.Args) == 0 {
			return listenUse{}, false
		}
		v, ok := stringLit(e.Args[0])
		if !ok {
			return listenUse{}, false
		}
		switch calleeName(e.Fun) {
		case "Sprintf":
			if loopbackPrefix(v) {
				return listenUse{addr: "fmt.Sprintf(" + strconv.Quote(v) + ", …)", loopback: true}, true
			}
		case "JoinHostPort":
			if mcpwire.IsLoopbackHost(v) {
				return listenUse{addr: "net.JoinHostPort(" + strconv.Quote(v) + ", …)", loopback: true}, true
			}
		}
	}
	return listenUse{}, false
}

func isListenHost(h string) bool {
	return h == "" || h == "localhost" || net.ParseIP(h) != nil
}

// loopbackPrefix reports a string that starts a loopback address: "127.0.0.1:", "localhost:".
func loopbackPrefix(v string) bool {
	i := strings.LastIndex(v, ":")
	if i < 0 {
		return false
	}
	host := strings.TrimSuffix(strings.TrimPrefix(v[:i], "["), "]")
	return mcpwire.IsLoopbackHost(host)
}

// pathUse is an MCP endpoint path written into the program.
type pathUse struct {
	at   pos
	path string
	how  string // what sets it, for messages
}

// mcpPaths finds the MCP path the code itself sets: the Path of a Config literal in a
// main package (the generated defaults()), and the pattern a Streamable HTTP handler is
// mounted on (mux.Handle("/mcp", mcp.NewStreamableHTTPHandler(…))).
func (s *sources) mcpPaths() []pathUse {
	var out []pathUse
	for _, f := range s.nonTest() {
		inMain := f.ast.Name.Name == "main"
		ast.Inspect(f.ast, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if !inMain || typeName(n.Type) != "Config" {
					return true
				}
				for _, el := range n.Elts {
					kv, ok := el.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					if k, ok := kv.Key.(*ast.Ident); !ok || k.Name != "Path" {
						continue
					}
					if v, ok := stringLit(kv.Value); ok && strings.HasPrefix(v, "/") {
						out = append(out, pathUse{at: s.pos(f, kv.Value.Pos()), path: v, how: typeName(n.Type) + ".Path"})
					}
				}
			case *ast.CallExpr:
				if name := calleeName(n.Fun); (name != "Handle" && name != "HandleFunc") || len(n.Args) != 2 {
					return true
				}
				inner, ok := n.Args[1].(*ast.CallExpr)
				if !ok || calleeName(inner.Fun) != "NewStreamableHTTPHandler" {
					return true
				}
				if v, ok := stringLit(n.Args[0]); ok {
					// Go 1.22 patterns may start with a method: "POST /mcp".
					if _, p, found := strings.Cut(v, " "); found {
						v = strings.TrimSpace(p)
					}
					if strings.HasPrefix(v, "/") {
						out = append(out, pathUse{at: s.pos(f, n.Args[0].Pos()), path: v, how: "the Streamable HTTP handler's route"})
					}
				}
			}
			return true
		})
	}
	return out
}

// sseAPIs are the server-side names of the legacy HTTP+SSE transport, per import path.
var sseAPIs = map[string][]string{
	"github.com/modelcontextprotocol/go-sdk/mcp": {"NewSSEHandler", "SSEHandler", "SSEServerTransport", "SSEOptions"},
	"github.com/mark3labs/mcp-go/server":         {"NewSSEServer", "SSEServer"},
}

// sseUse is a reference to the legacy SSE transport.
type sseUse struct {
	at   pos
	name string // e.g. mcp.NewSSEHandler
}

// sseUses finds references to the legacy transport's server API in the program.
func (s *sources) sseUses() []sseUse {
	var out []sseUse
	for _, f := range s.nonTest() {
		ast.Inspect(f.ast, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			x, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			if names, ok := sseAPIs[f.imports[x.Name]]; ok && slices.Contains(names, sel.Sel.Name) {
				out = append(out, sseUse{at: s.pos(f, sel.Pos()), name: x.Name + "." + sel.Sel.Name})
			}
			return true
		})
	}
	return out
}
