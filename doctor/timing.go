package doctor

import (
	"context"
	"fmt"
	"go/ast"
	"go/token"
	"strings"
)

// checkTiming finds what makes a deployed server fail on time rather than on features: a
// WriteTimeout that cuts event streams, JSON responses that can carry no keep-alive, and
// sleeping (eco) dynos that miss a hosted client's first initialize.
func checkTiming(_ context.Context, p *project) outcome {
	var fs []Finding
	for _, u := range p.src.timingUses() {
		f := Finding{File: u.at.file, Line: u.at.line}
		switch u.what {
		case "WriteTimeout":
			f.ID, f.Severity = IDWriteTimeout, SeverityError
			f.Title = fmt.Sprintf("%s sets the HTTP server's WriteTimeout", u.at)
			f.Detail = "WriteTimeout bounds the whole response, so it cuts every event stream and every tool call that runs longer, whatever the call sends meanwhile."
			f.Fix = "remove WriteTimeout; bound slow clients with ReadHeaderTimeout and IdleTimeout (the generated server also puts a deadline on reading bodies)"
		case "JSONResponse":
			f.ID, f.Severity = IDJSONResponse, SeverityWarning
			f.Title = fmt.Sprintf("%s enables JSON responses (JSONResponse: true)", u.at)
			f.Detail = "A JSON response sends nothing until the result: no first byte, no keep-alive, no progress. Heroku's router cuts a call that is silent for 30 s (H12)."
			f.Fix = "remove JSONResponse so that calls are answered as event streams"
		}
		fs = append(fs, f)
	}
	if p.appJSON != nil {
		for name, proc := range p.appJSON.Formation {
			if name == "web" && isSleepingSize(proc.Size) {
				fs = append(fs, ecoFinding("app.json", fmt.Sprintf("app.json runs the web process on %s dynos", proc.Size)))
			}
		}
	}
	if len(fs) > 0 {
		return outcome{findings: fs}
	}
	return pass("no WriteTimeout, event-stream responses")
}

// isSleepingSize reports Heroku dyno sizes that sleep when idle.
func isSleepingSize(size string) bool {
	s := strings.ToLower(size)
	return s == "eco" || s == "free"
}

// EcoAdvice explains what sleeping dynos do to MCP clients and what to run instead; deploy
// says the same when it deploys to one.
const EcoAdvice = "Eco dynos sleep after 30 minutes without traffic and take several seconds to wake; hosted clients such as claude.ai give the first initialize about 10 s, so a waking server fails to connect."

func ecoFinding(file, title string) Finding {
	return Finding{
		ID: IDEcoDynos, Severity: SeverityWarning, File: file,
		Title:  title,
		Detail: EcoAdvice,
		Fix:    "use a dyno type that never sleeps: `heroku ps:type web=basic -a APP` (and size \"basic\" in app.json)",
	}
}

// timingUse is a setting in the code that matters for long calls.
type timingUse struct {
	at   pos
	what string // WriteTimeout or JSONResponse
}

// timingUses finds http.Server WriteTimeout settings (in a composite literal or an
// assignment) and JSONResponse: true in go-sdk's StreamableHTTPOptions.
func (s *sources) timingUses() []timingUse {
	var out []timingUse
	for _, f := range s.nonTest() {
		ast.Inspect(f.ast, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				typ := litType(f, n.Type)
				for _, e := range n.Elts {
					kv, ok := e.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					key, ok := kv.Key.(*ast.Ident)
					if !ok {
						continue
					}
					switch {
					case typ == "net/http.Server" && key.Name == "WriteTimeout" && !isZero(kv.Value):
						out = append(out, timingUse{s.pos(f, kv.Pos()), "WriteTimeout"})
					case typ == sdkMCP+".StreamableHTTPOptions" && key.Name == "JSONResponse" && isTrue(kv.Value):
						out = append(out, timingUse{s.pos(f, kv.Pos()), "JSONResponse"})
					}
				}
			case *ast.AssignStmt:
				for i, l := range n.Lhs {
					sel, ok := l.(*ast.SelectorExpr)
					if !ok || i >= len(n.Rhs) || isZero(n.Rhs[i]) {
						continue
					}
					switch {
					case sel.Sel.Name == "WriteTimeout":
						out = append(out, timingUse{s.pos(f, sel.Pos()), "WriteTimeout"})
					case sel.Sel.Name == "JSONResponse" && isTrue(n.Rhs[i]):
						out = append(out, timingUse{s.pos(f, sel.Pos()), "JSONResponse"})
					}
				}
			}
			return true
		})
	}
	return out
}

// litType resolves a composite literal's type (pkg.Name or &pkg.Name) to importpath.Name.
func litType(f *goFile, e ast.Expr) string {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	x, ok := sel.X.(*ast.Ident)
	if !ok {
		return ""
	}
	return f.imports[x.Name] + "." + sel.Sel.Name
}

func isTrue(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "true"
}

func isZero(e ast.Expr) bool {
	lit, ok := e.(*ast.BasicLit)
	return ok && lit.Kind == token.INT && lit.Value == "0"
}
