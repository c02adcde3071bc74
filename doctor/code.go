package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/mcpctl/mcpctl/config"
)

// checkPort finds servers that ignore $PORT or bind a loopback address. Heroku (and most
// platforms) assign the port in $PORT and route to it on every interface; a server that
// listens anywhere else is killed after 60 s (R10) without serving a request.
func checkPort(_ context.Context, p *project) outcome {
	if len(p.src.mains) == 0 {
		return skip("no main package")
	}
	reads := p.src.portReads()
	var fs []Finding
	for _, l := range p.src.listens() {
		f := Finding{File: l.at.file, Line: l.at.line}
		where := "a fixed address"
		if l.loopback {
			where = "a fixed loopback address"
		}
		switch {
		case !l.fixed:
			// A loopback host with the port computed: the server meant to serve the
			// platform, on an interface the platform cannot reach.
			f.ID, f.Severity = IDPortLoopback, SeverityError
			f.Title = fmt.Sprintf("%s listens on a loopback address (%s)", l.at, l.addr)
			f.Detail = "The platform's router connects from outside the dyno; a server bound to 127.0.0.1 or localhost never gets a request and the dyno fails to boot (R10)."
			f.Fix = `listen on every interface: ":" + os.Getenv("PORT") (loopback only when PORT is unset, for local runs)`
		case len(reads) == 0:
			f.ID, f.Severity = IDPortHardcoded, SeverityError
			f.Title = fmt.Sprintf("%s listens on %s (%s) and nothing reads $PORT", l.at, where, l.addr)
			f.Detail = "Heroku assigns the port in $PORT; a server on any other port is killed after 60 s (R10) without serving a request."
			f.Fix = `read the port from the environment: addr := ":" + os.Getenv("PORT"), with your fixed port only when PORT is unset`
		default:
			// The program reads PORT too: this may be a second, local-only listener (pprof).
			f.ID, f.Severity = IDPortHardcoded, SeverityWarning
			f.Title = fmt.Sprintf("%s listens on %s (%s)", l.at, where, l.addr)
			f.Detail = fmt.Sprintf("The code reads $PORT (%s), but this listener ignores it; on a platform only $PORT receives traffic. Fine for a local-only listener such as pprof.", reads[0])
			f.Fix = `serve MCP on the $PORT address; keep fixed ports for local-only listeners`
		}
		fs = append(fs, f)
	}
	if len(reads) == 0 && !hasSeverity(fs, SeverityError) {
		fs = append(fs, Finding{
			ID: IDPortNotRead, Severity: SeverityError,
			Title:  "nothing in the program reads $PORT",
			Detail: "Heroku assigns the port in $PORT and kills a web dyno that has not bound it within 60 s (R10). The generated server reads it in internal/server/config.go.",
			Fix:    `listen on ":" + os.Getenv("PORT") when PORT is set (the generated server.ConfigFromEnv does this)`,
		})
	}
	if len(fs) > 0 {
		return outcome{findings: fs}
	}
	return pass("reads PORT at " + reads[0].String())
}

// checkPath compares the MCP path the code bakes in, and the MCP_PATH that .env or
// app.json set, with mcpctl.toml. mcpctl dev and deploy pass MCP_PATH from mcpctl.toml,
// which overrides the baked-in default; anything that starts the binary without it (a
// manual run, a Heroku Button deploy from app.json) serves the baked-in path instead.
func checkPath(_ context.Context, p *project) outcome {
	if p.cfg == nil {
		return skip(config.FileName + " did not load")
	}
	want := p.cfg.Server.Path
	var fs []Finding
	where := []string{config.FileName}
	for _, u := range p.src.mcpPaths() {
		if u.path == want {
			where = append(where, u.at.String())
			continue
		}
		fs = append(fs, Finding{
			ID: IDPathMismatch, Severity: SeverityWarning, File: u.at.file, Line: u.at.line,
			Title: fmt.Sprintf("%s sets the MCP path to %q (%s); mcpctl.toml says %q", u.at, u.path, u.how, want),
			Detail: fmt.Sprintf("mcpctl dev and mcpctl deploy set MCP_PATH=%s from mcpctl.toml, which wins over the code's default; "+
				"a run without MCP_PATH (bin/%s by hand, a Heroku Button deploy) serves %s, so clients configured for one get 404 from the other.", want, p.wantBinary(p.binaries()), u.path),
			Fix: fmt.Sprintf("make them agree: set %q at %s, or path = %q in mcpctl.toml", want, u.at, u.path),
		})
	}
	if v, ok := p.env["MCP_PATH"]; ok && v != "" && v != want {
		fs = append(fs, Finding{
			ID: IDPathMismatch, Severity: SeverityWarning, File: ".env",
			Title:  fmt.Sprintf(".env sets MCP_PATH=%s; mcpctl.toml says %q", v, want),
			Detail: "mcpctl reads the path from mcpctl.toml; a different MCP_PATH in .env makes local runs and deploys disagree about the endpoint.",
			Fix:    "remove MCP_PATH from .env and change path in mcpctl.toml instead",
		})
	}
	if v, ok := p.appEnv("MCP_PATH"); ok && v != want {
		fs = append(fs, Finding{
			ID: IDPathMismatch, Severity: SeverityWarning, File: "app.json",
			Title:  fmt.Sprintf("app.json sets MCP_PATH=%s; mcpctl.toml says %q", v, want),
			Detail: "A Heroku Button or review app deploy uses app.json's value; mcpctl deploy uses mcpctl.toml's.",
			Fix:    fmt.Sprintf("set MCP_PATH to %q in app.json, or remove it there", want),
		})
	}
	if len(fs) > 0 {
		return outcome{findings: fs}
	}
	return pass(want + " (" + strings.Join(where, ", ") + ")")
}

// checkSSE finds the legacy two-endpoint HTTP+SSE transport, which current MCP clients
// no longer speak for new servers.
func checkSSE(_ context.Context, p *project) outcome {
	uses := p.src.sseUses()
	if len(uses) == 0 {
		return pass("Streamable HTTP only")
	}
	var fs []Finding
	for _, u := range uses {
		fs = append(fs, Finding{
			ID: IDSSETransport, Severity: SeverityError, File: u.at.file, Line: u.at.line,
			Title:  fmt.Sprintf("%s uses the legacy SSE transport (%s)", u.at, u.name),
			Detail: "The HTTP+SSE transport (a GET event stream plus a POST endpoint) was replaced by Streamable HTTP in MCP 2025-03-26; remote clients such as Claude and Cursor expect one Streamable HTTP endpoint, and a platform router cuts idle SSE streams.",
			Fix:    "serve mcp.NewStreamableHTTPHandler at the MCP path instead (see internal/server in a project made by `mcpctl init`)",
		})
	}
	return outcome{findings: fs}
}

func hasSeverity(fs []Finding, s Severity) bool {
	for _, f := range fs {
		if f.Severity == s {
			return true
		}
	}
	return false
}

// quoteList renders names for a message: "a", "a or b", "a, b or c".
func quoteList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
