package probe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const (
	// sdkMaxRetries keeps go-sdk from reconnecting streams for long: the probe retries
	// whole steps itself, with its own bound.
	sdkMaxRetries = 1
	// maxToolText bounds the tool result text kept in the report.
	maxToolText = 16 << 10
)

// failure is a diagnosed failure of an MCP step.
type failure struct {
	class  Class
	detail string
	hint   string
	status int
	retry  bool
	after  time.Duration
}

// stepSession runs initialize, tools/list and the optional tool call through go-sdk's
// Streamable HTTP client, the way MCP clients talk to the server.
func (p *prober) stepSession(ctx context.Context) {
	client := mcp.NewClient(&mcp.Implementation{Name: p.opts.ClientName, Version: p.opts.ClientVersion}, &mcp.ClientOptions{
		ProgressNotificationHandler: p.onProgress,
	})
	transport := &mcp.StreamableClientTransport{
		Endpoint:   p.endpoint,
		HTTPClient: p.authed,
		MaxRetries: sdkMaxRetries,
		// A check needs only request/response; the standalone GET stream would outlive it.
		DisableStandaloneSSE: true,
	}

	start := p.now()
	var cs *mcp.ClientSession
	var f *failure
	attempts := p.retryLoop(ctx, StepInitialize, func(ctx context.Context) retryAdvice {
		p.rec.reset()
		cctx, cancel := context.WithTimeout(ctx, p.timeout)
		defer cancel()
		var err error
		cs, err = client.Connect(cctx, transport, nil)
		if err == nil {
			f = nil
			return retryAdvice{}
		}
		f = p.explain(err, "initialize")
		return retryAdvice{retry: f.retry, reason: f.detail, after: f.after}
	})
	st := Step{Name: StepInitialize}
	if attempts > 1 {
		st.Attempts = attempts
	}
	if f != nil {
		p.recordFailure(st, f, start)
		return
	}
	defer cs.Close()

	res := cs.InitializeResult()
	info := &ServerInfo{SessionID: cs.ID()}
	info.Stateless = info.SessionID == ""
	if res != nil {
		info.ProtocolVersion = res.ProtocolVersion
		info.Instructions = res.Instructions != ""
		if res.ServerInfo != nil {
			info.Name, info.Version = res.ServerInfo.Name, res.ServerInfo.Version
		}
	}
	p.report.Server = info
	st.Status = StatusPass
	mode := "stateless"
	if !info.Stateless {
		mode = "session " + shortID(info.SessionID)
	}
	st.Detail = fmt.Sprintf("protocol %s · %s · %s", info.ProtocolVersion, serverLabel(info), mode)
	p.record(st, start)

	if !p.stepToolsList(ctx, cs) {
		return
	}
	if p.opts.Call != nil {
		p.stepToolsCall(ctx, cs)
	}
}

func (p *prober) stepToolsList(ctx context.Context, cs *mcp.ClientSession) bool {
	start := p.now()
	st := Step{Name: StepToolsList}
	p.rec.reset()
	cctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	var names []string
	for tool, err := range cs.Tools(cctx, nil) {
		if err != nil {
			p.recordFailure(st, p.explain(err, "tools/list"), start)
			return false
		}
		names = append(names, tool.Name)
	}
	p.tools = names
	p.report.Tools = names
	switch len(names) {
	case 0:
		st.Status = StatusWarn
		st.Detail = "the server lists no tools"
		st.Hint = "register at least one tool (in a generated project: tools.go)"
	default:
		st.Status = StatusPass
		st.Detail = fmt.Sprintf("%d %s: %s", len(names), plural(len(names), "tool", "tools"), listNames(names, 10))
	}
	p.record(st, start)
	return true
}

func (p *prober) stepToolsCall(ctx context.Context, cs *mcp.ClientSession) {
	start := p.now()
	call := p.opts.Call
	st := Step{Name: StepToolsCall}
	if !slices.Contains(p.tools, call.Name) {
		st.Status, st.Class = StatusFail, ClassToolCall
		st.Detail = fmt.Sprintf("the server has no tool named %q", call.Name)
		st.Hint = "call one of: " + listNames(p.tools, 20)
		p.record(st, start)
		return
	}
	args := call.Args
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	p.rec.reset()
	cctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	params := &mcp.CallToolParams{Name: call.Name, Arguments: args}
	params.SetProgressToken("mcpctl-check")
	sent := time.Now()
	p.callSent.Store(&sent)
	p.rec.timeFirstByte(sent)
	res, err := cs.CallTool(cctx, params)
	took := time.Since(sent)
	p.callSent.Store(nil)
	if err != nil {
		f := p.explain(err, "tools/call")
		if f.class == ClassProtocol {
			// A JSON-RPC error here is about this call (unknown tool, invalid arguments).
			f.class = ClassToolCall
			f.hint = "check the arguments (--args) against the tool's input schema"
		}
		p.recordFailure(st, f, start)
		return
	}
	firstByte := p.rec.timeToFirstByte()
	result := &ToolCallResult{Name: call.Name, IsError: res.IsError, Text: toolText(res),
		FirstByteMS: firstByte.Milliseconds(), ResultMS: took.Milliseconds(), Progress: int(p.progress.Load())}
	if res.StructuredContent != nil {
		if b, err := json.Marshal(res.StructuredContent); err == nil {
			result.StructuredContent = b
		}
	}
	p.report.ToolCall = result
	shown := result.Text
	if shown == "" && result.StructuredContent != nil {
		shown = string(result.StructuredContent)
	}
	if res.IsError {
		st.Status, st.Class = StatusFail, ClassToolCall
		st.Detail = fmt.Sprintf("%s returned an error result: %s", call.Name, oneLine(shown, 200))
		st.Hint = "the tool ran and reported a failure: check the arguments (--args) and the server's logs"
		if strings.HasPrefix(shown, `validating "arguments"`) {
			// go-sdk servers answer arguments their input schema refuses this way; the
			// tool never ran.
			st.Hint = "the server refused the arguments before the tool ran: make --args match the tool's input schema (tools/list shows it)"
		}
		p.record(st, start)
		return
	}
	st.Status = StatusPass
	st.Detail = fmt.Sprintf("%s → %s · first byte %s, result %s", call.Name, oneLine(shown, 120), roundDuration(firstByte), roundDuration(took))
	if result.Progress > 0 {
		st.Detail += fmt.Sprintf(", %s", plural(result.Progress, "progress notification", "progress notifications"))
	}
	if firstByte >= FirstByteWindow {
		st.Status = StatusWarn
		st.Hint = fmt.Sprintf("the response's first byte took %s: Heroku's router cuts a response that has sent nothing after %s (H12). Send headers early: servers made by mcpctl commit the stream after stream_first_byte (mcpctl.toml); others can report progress", roundDuration(firstByte), FirstByteWindow)
	}
	p.record(st, start)
}

// onProgress passes the tool call's progress notifications on as they arrive.
func (p *prober) onProgress(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
	sent := p.callSent.Load()
	if sent == nil || req.Params == nil {
		return
	}
	p.progress.Add(1)
	if p.opts.OnProgress != nil {
		p.opts.OnProgress(Progress{Progress: req.Params.Progress, Total: req.Params.Total, Message: req.Params.Message, Elapsed: time.Since(*sent)})
	}
}

func (p *prober) recordFailure(st Step, f *failure, start time.Time) {
	st.Status, st.Class, st.Detail, st.Hint = StatusFail, f.class, f.detail, f.hint
	if f.status != 0 {
		st.HTTPStatus = f.status
	}
	p.record(st, start)
}

// explain turns an error from go-sdk into a diagnosis. The HTTP exchange that failed,
// as the recorder saw it, is the primary evidence; the error text is the fallback.
func (p *prober) explain(err error, what string) *failure {
	if errors.Is(err, mcp.ErrSessionMissing) {
		return p.sessionLost(what)
	}
	if e, ok := p.rec.lastFailure(); ok {
		if e.err != nil {
			class, detail, hint, retry := netFailure(e.err, p.given, p.timeout)
			return &failure{class: class, detail: what + ": " + detail, hint: hint, retry: retry}
		}
		return p.explainReply(e, what)
	}
	if isTimeout(err) {
		return &failure{
			class:  ClassUnavailable,
			detail: fmt.Sprintf("%s: no answer within %s", what, p.timeout),
			hint:   "the server accepted the request but did not answer; look at its logs (a handler may block), or raise --timeout",
			retry:  true,
		}
	}
	var rpcErr *jsonrpc.Error
	if errors.As(err, &rpcErr) {
		return &failure{class: ClassProtocol, detail: fmt.Sprintf("%s: JSON-RPC error %d: %s", what, rpcErr.Code, rpcErr.Message),
			hint: "the server rejected the request; look at its logs"}
	}
	return &failure{class: ClassProtocol, detail: fmt.Sprintf("%s failed: %s", what, oneLine(err.Error(), 300)),
		hint: "the server does not speak MCP as go-sdk expects; look at its logs"}
}

func (p *prober) sessionLost(what string) *failure {
	return &failure{
		class:  ClassSession,
		status: http.StatusNotFound,
		detail: what + ": the server answered 404 for the session it had just created (session not found)",
		hint:   "a stateful server lost its session: it restarted, or several processes or dynos serve it and the request reached another one. Set stateless = true in mcpctl.toml (MCP_STATELESS=true), or run a single process",
	}
}

func (p *prober) explainReply(e exchange, what string) *failure {
	o := &observation{method: e.method, url: e.url, status: e.status, header: e.header, body: e.body, rpc: parseRPC(e.body)}
	f := &failure{status: e.status}
	switch {
	case e.status == http.StatusNotFound && e.sentSession:
		return p.sessionLost(what)
	case e.status == http.StatusUnauthorized:
		f.class = ClassAuth
		f.detail = fmt.Sprintf("%s: the server rejected the credentials (HTTP 401; sent %s)", what, p.credDesc)
		if desc := bearerParam(e.header, "error_description"); desc != "" {
			f.detail += ": " + desc
		} else if code := bearerParam(e.header, "error"); code != "" {
			f.detail += ": " + code
		}
		f.hint = p.authHint()
	case e.status == http.StatusForbidden:
		f.class = ClassAuth
		f.detail = fmt.Sprintf("%s: forbidden (HTTP 403; sent %s)", what, p.credDesc)
		switch {
		case strings.Contains(string(e.body), "invalid Host header"):
			f.detail = what + ": the server refused the Host header (HTTP 403)"
			f.hint = "go-sdk's DNS-rebinding protection rejects a non-loopback Host on a loopback listener: a proxy on the same host must forward a loopback Host"
		case bearerParam(e.header, "error") == "insufficient_scope":
			f.detail += ": insufficient scope"
			if scope := bearerParam(e.header, "scope"); scope != "" {
				f.detail += " (needs " + scope + ")"
			}
			f.hint = "request a token with the scopes the server needs"
		default:
			f.hint = "the credentials were recognised but are not allowed here; check the key or token's permissions"
		}
	case classifyReply(o) == kindTransient:
		t := transientFailure(o)
		f.class, f.detail, f.hint, f.retry, f.after = t.class, what+": "+t.detail, t.hint, t.retry, retryAfter(e.header)
	case e.status >= 300 && e.status < 400:
		f.class = ClassWrongURL
		f.detail = fmt.Sprintf("%s: redirected to %s (HTTP %d)", what, e.header.Get("Location"), e.status)
		f.hint = "use the URL the server redirects to"
		if loc, err := p.given.Parse(e.header.Get("Location")); err != nil || !isWebURL(loc.String()) {
			f.hint = "the redirect leads to no http(s) URL, which no MCP client can use: fix the server's redirect"
		}
	case e.status == http.StatusNotFound || e.status == http.StatusMethodNotAllowed:
		f.class = ClassNotMCP
		f.detail = fmt.Sprintf("%s: %s with credentials: %s", what, p.endpoint, describeReply(o))
		f.hint = "the URL answers a request without credentials but not an MCP request with them; check the server's MCP path"
		if alt := p.altURL(); alt != "" && p.endpoint == p.given.String() {
			f.hint += fmt.Sprintf(" (try %s)", alt)
		}
	case classifyReply(o) == kindHTML:
		f.class = ClassNotMCP
		f.detail = fmt.Sprintf("%s: the server answered a web page instead of JSON-RPC: %s", what, describeReply(o))
		f.hint = "something in front of the server (a login page or proxy) answers MCP requests"
	case o.rpc != nil && o.rpc.Error != nil:
		f.class = ClassProtocol
		f.detail = fmt.Sprintf("%s: %s", what, describeReply(o))
		f.hint = "the server rejected the request; look at its logs"
	default:
		f.class = ClassProtocol
		f.detail = fmt.Sprintf("%s: unexpected reply: %s", what, describeReply(o))
		f.hint = "the endpoint does not answer as an MCP Streamable HTTP server should; look at its logs"
	}
	return f
}

func (p *prober) authHint() string {
	if p.report.Auth != nil && p.report.Auth.Mode == "oauth" {
		resource := p.endpoint
		if p.report.Auth.OAuth != nil && p.report.Auth.OAuth.Resource != "" {
			resource = p.report.Auth.OAuth.Resource
		}
		return fmt.Sprintf("the token is expired, from another issuer, or its audience is not %s; get a fresh token for this resource", resource)
	}
	if p.opts.Key != "" {
		return "the key does not match the server's (MCP_API_KEY or MCP_API_KEY_HASHES where it runs): compare with the project's .env, and after `mcpctl keys rotate` update the platform (`mcpctl deploy`)"
	}
	return "check the credentials passed with --header"
}

func toolText(res *mcp.CallToolResult) string {
	var parts []string
	size := 0
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, t.Text)
			size += len(t.Text)
			if size > maxToolText {
				break
			}
		}
	}
	s := strings.Join(parts, "\n")
	if len(s) > maxToolText {
		s = s[:maxToolText]
	}
	return s
}

func listNames(names []string, max int) string {
	if len(names) == 0 {
		return "(none)"
	}
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:max], ", ") + fmt.Sprintf(", and %d more", len(names)-max)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:8] + "…"
	}
	return id
}
