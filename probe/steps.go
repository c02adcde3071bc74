package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mcpctl/mcpctl/internal/mcpwire"
)

// certWarnWithin is how close to expiry a certificate earns a warning.
const certWarnWithin = 14 * 24 * time.Hour

// stepReach connects and sends the unauthenticated initialize, retrying while the
// server sleeps or boots. Any HTTP answer that is not a transient error passes.
func (p *prober) stepReach(ctx context.Context) (*observation, bool) {
	start := p.now()
	var obs *observation
	attempts := p.retryLoop(ctx, StepReach, func(ctx context.Context) retryAdvice {
		obs = p.do(ctx, http.MethodPost, p.given.String(), p.unauthHeader(), p.initBody, true)
		return p.adviceFor(obs)
	})
	st := Step{Name: StepReach}
	after := ""
	if attempts > 1 {
		st.Attempts = attempts
		after = fmt.Sprintf(" (after %d attempts in %s)", attempts, roundDuration(p.now().Sub(start)))
	}
	if obs.err != nil {
		class, detail, hint, _ := netFailure(obs.err, p.given, p.timeout)
		st.Status, st.Class, st.Detail, st.Hint = StatusFail, class, detail+after, hint
		p.record(st, start)
		return nil, false
	}
	st.HTTPStatus = obs.status
	p.report.Connection = obs.conn
	if classifyReply(obs) == kindTransient {
		f := transientFailure(obs)
		st.Status, st.Class, st.Detail, st.Hint = StatusFail, f.class, f.detail+after, f.hint
		p.record(st, start)
		return nil, false
	}
	st.Status = StatusPass
	st.Detail = describeConnection(obs) + after
	if c := obs.conn; c != nil && c.CertNotAfter != "" {
		if notAfter, err := time.Parse(time.RFC3339, c.CertNotAfter); err == nil && notAfter.Sub(p.now()) < certWarnWithin {
			st.Status = StatusWarn
			st.Hint = fmt.Sprintf("the TLS certificate expires on %s: renew it", notAfter.Format("2006-01-02"))
		}
	}
	p.record(st, start)
	return obs, true
}

func describeConnection(o *observation) string {
	parts := []string{fmt.Sprintf("HTTP %d", o.status)}
	if c := o.conn; c != nil {
		if c.RemoteAddr != "" {
			parts[0] += " from " + c.RemoteAddr
		}
		if c.TLSVersion != "" {
			parts = append(parts, c.TLSVersion)
		}
		if c.Protocol != "" {
			parts = append(parts, c.Protocol)
		}
	}
	return strings.Join(parts, " · ")
}

// unauthHeader is what the probe's request without credentials carries.
func (p *prober) unauthHeader() http.Header {
	h := p.plainHeader.Clone()
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json, text/event-stream")
	return h
}

// stepEndpoint decides whether the URL is an MCP endpoint. When it is not, it looks for
// one at the MCP path below it, and for a legacy SSE server, and says which it found.
func (p *prober) stepEndpoint(ctx context.Context, obs *observation) (*observation, bool) {
	start := p.now()
	st := Step{Name: StepEndpoint, HTTPStatus: obs.status}
	given := p.given.String()
	kind := classifyReply(obs)
	switch kind {
	case kindRPC:
		st.Status = StatusPass
		st.Detail = "answers POST with JSON-RPC: " + describeReply(obs)
		p.record(st, start)
		return obs, true
	case kindChallenge:
		st.Status = StatusPass
		st.Detail = "answers POST with a credentials challenge: " + describeReply(obs)
		p.record(st, start)
		return obs, true
	case kindServerError:
		st.Status, st.Class = StatusFail, ClassProtocol
		st.Detail = fmt.Sprintf("%s failed on an initialize request: %s", given, describeReply(obs))
		st.Hint = "the server crashed or erred on the request: look at its logs"
		p.record(st, start)
		return nil, false
	case kindRedirect:
		loc := obs.header.Get("Location")
		if u, err := p.given.Parse(loc); err == nil {
			loc = u.String()
		}
		st.Status, st.Class = StatusFail, ClassWrongURL
		st.Detail = fmt.Sprintf("%s redirects to %s (HTTP %d)", given, loc, obs.status)
		st.Hint = fmt.Sprintf("use %s as the URL: MCP clients do not follow redirects of POST requests reliably", loc)
		if !isWebURL(loc) {
			st.Hint = "the redirect leads to no http(s) URL, which no MCP client can use: fix the server's redirect, or check the URL"
		}
		p.record(st, start)
		return nil, false
	}
	if pe, ok := platformFailure(obs); ok && pe.class == ClassWrongURL {
		st.Status, st.Class, st.Detail, st.Hint = StatusFail, pe.class, pe.detail, pe.hint
		p.record(st, start)
		return nil, false
	}

	var alt string
	var altObs *observation
	for _, candidate := range p.altURLs(obs) {
		alt = candidate
		altObs = p.do(ctx, http.MethodPost, alt, p.unauthHeader(), p.initBody, false)
		if altObs.err == nil {
			if k := classifyReply(altObs); k == kindRPC || k == kindChallenge {
				// Carry on against the endpoint we found, so the report is complete,
				// but fail the step: the URL as given does not work in a client.
				st.Status, st.Class = StatusFail, ClassWrongURL
				st.Detail = fmt.Sprintf("%s answered %s; the MCP endpoint is at %s", given, describeReply(obs), alt)
				st.Hint = fmt.Sprintf("use %s as the URL (in client configs and in `mcpctl check`)", alt)
				p.endpoint = alt
				p.report.Endpoint = alt
				p.record(st, start)
				return altObs, true
			}
		}
	}

	if sse := p.findLegacySSE(ctx); sse != "" {
		st.Status, st.Class = StatusFail, ClassLegacySSE
		st.Detail = fmt.Sprintf("%s is a legacy HTTP+SSE server (GET %s streams an `endpoint` event; POST answered %s)", given, sse, describeReply(obs))
		st.Hint = "serve the Streamable HTTP transport on one endpoint such as /mcp (go-sdk: mcp.NewStreamableHTTPHandler; TypeScript SDK: StreamableHTTPServerTransport); the HTTP+SSE transport is deprecated and remote clients no longer speak it. `mcpctl init` generates a Streamable HTTP server"
		p.record(st, start)
		return nil, false
	}

	st.Status, st.Class = StatusFail, ClassNotMCP
	also := ""
	if altObs != nil {
		if altObs.err == nil {
			also = fmt.Sprintf("; %s answered %s", alt, describeReply(altObs))
		} else {
			also = fmt.Sprintf("; %s failed: %v", alt, unwrapURLError(altObs.err))
		}
	}
	switch kind {
	case kindHTML:
		st.Detail = fmt.Sprintf("%s answered a web page instead of JSON-RPC: %s%s", given, describeReply(obs), also)
		st.Hint = "point at the MCP endpoint itself (usually …" + p.opts.MCPPath + "); a login page means an access proxy (SSO, platform protection) sits in front of the server and must let MCP clients through"
	case kindNotFound:
		st.Detail = fmt.Sprintf("nothing answers MCP at %s: %s%s", given, describeReply(obs), also)
		st.Hint = "check the server's MCP path (`path` in mcpctl.toml, MCP_PATH on the platform) and use the full endpoint URL"
	default:
		st.Detail = fmt.Sprintf("%s answered %s instead of a JSON-RPC message%s", given, describeReply(obs), also)
		st.Hint = "this URL is not an MCP Streamable HTTP endpoint: check the URL and the server's MCP path"
	}
	p.record(st, start)
	return nil, false
}

// altURLs lists where else the endpoint may be: the path a generated server names in
// its 404 body (mcp_endpoint), the given URL without a trailing slash, then with the MCP
// path appended.
func (p *prober) altURLs(obs *observation) []string {
	var urls []string
	var body struct {
		Endpoint string `json:"mcp_endpoint"`
	}
	if json.Unmarshal(obs.body, &body) == nil && strings.HasPrefix(body.Endpoint, "/") {
		u := *p.given
		u.Path, u.RawPath, u.RawQuery = body.Endpoint, "", ""
		if s := u.String(); s != p.given.String() {
			urls = append(urls, s)
		}
	}
	if len(p.given.Path) > 1 && strings.HasSuffix(p.given.Path, "/") {
		u := *p.given
		u.Path, u.RawPath = strings.TrimSuffix(u.Path, "/"), ""
		if s := u.String(); !slices.Contains(urls, s) {
			urls = append(urls, s)
		}
	}
	if alt := p.altURL(); alt != "" && !slices.Contains(urls, alt) {
		urls = append(urls, alt)
	}
	return urls
}

// altURL is the given URL with the MCP path appended, or "" when it already ends so.
func (p *prober) altURL() string {
	path := strings.TrimSuffix(p.given.Path, "/")
	if strings.HasSuffix(path, p.opts.MCPPath) {
		return ""
	}
	u := *p.given
	u.Path = path + p.opts.MCPPath
	u.RawPath = ""
	return u.String()
}

// findLegacySSE returns the URL of a legacy HTTP+SSE endpoint (GET streams an
// `endpoint` event) at the given URL, or at /sse when the given URL is a base URL.
func (p *prober) findLegacySSE(ctx context.Context) string {
	candidates := []string{p.given.String()}
	if strings.Trim(p.given.Path, "/") == "" {
		u := *p.given
		u.Path = "/sse"
		candidates = append(candidates, u.String())
	}
	h := p.credHeader.Clone()
	h.Set("Accept", mcpwire.MediaSSE)
	for _, c := range candidates {
		o := p.do(ctx, http.MethodGet, c, h, nil, false)
		if o.err == nil && o.status == http.StatusOK && o.contentType() == mcpwire.MediaSSE && o.sseEvent == "endpoint" {
			return c
		}
	}
	return ""
}

// stepAuth judges the answer to the request without credentials: an authenticated
// server must reject it. It also learns the auth mode and, for OAuth, walks the discovery
// chain. It returns whether the authenticated steps can run.
func (p *prober) stepAuth(ctx context.Context, obs *observation) bool {
	start := p.now()
	st := Step{Name: StepAuth, HTTPStatus: obs.status}
	info := &AuthInfo{
		Mode:                  "unknown",
		UnauthenticatedStatus: obs.status,
		WWWAuthenticate:       strings.Join(obs.header.Values("WWW-Authenticate"), ", "),
		Credentials:           p.credDesc,
	}
	p.report.Auth = info

	if classifyReply(obs) != kindChallenge {
		info.Mode = "none"
		p.endSession(ctx, obs)
		switch {
		case p.hasCreds:
			st.Status, st.Class = StatusFail, ClassAuthNotEnforced
			st.Detail = "a request without credentials was accepted: " + describeReply(obs)
			st.Hint = "anyone who knows the URL can call this server: make it require the key (auth = \"apikey\" in mcpctl.toml; on the platform MCP_AUTH must not be \"none\")"
		case mcpwire.IsLoopbackHost(p.given.Hostname()):
			st.Status = StatusPass
			st.Detail = "the server accepts requests without credentials (fine on localhost only)"
		default:
			st.Status = StatusWarn
			st.Detail = "the server accepts requests without credentials: anyone who knows the URL can call its tools"
			st.Hint = "require an API key or OAuth before exposing it (auth in mcpctl.toml)"
		}
		p.record(st, start)
		// Run the MCP steps anyway: the report should say whether the server works.
		return true
	}

	rm, viaWellKnown := resourceMetadataParam(obs.header), false
	if rm == "" && obs.status == http.StatusUnauthorized {
		rm = p.findResourceMetadata(ctx)
		viaWellKnown = rm != ""
	}
	if rm != "" {
		info.Mode = "oauth"
	} else {
		info.Mode = "apikey"
	}

	switch {
	case obs.status == http.StatusForbidden && strings.Contains(string(obs.body), "invalid Host header"):
		st.Status, st.Class = StatusFail, ClassAuth
		st.Detail = "403: the server refused the Host header (" + oneLine(string(obs.body), 100) + ")"
		st.Hint = "go-sdk's DNS-rebinding protection rejects a non-loopback Host on a loopback listener: a proxy on the same host must forward a loopback Host, or the server must disable localhost protection behind a trusted proxy"
		p.record(st, start)
		return false
	case obs.status == http.StatusForbidden:
		st.Status = StatusWarn
		st.Detail = "a request without credentials was rejected with 403"
		st.Hint = "answer a missing credential with 401 and a WWW-Authenticate header: clients start authorization only on 401"
	default:
		st.Status = StatusPass
		st.Detail = "a request without credentials was rejected with 401"
		if info.Mode == "oauth" {
			st.Detail += " (OAuth: " + rm + ")"
		}
	}
	p.record(st, start)

	if info.Mode == "oauth" {
		p.walkOAuth(ctx, rm, viaWellKnown)
	}
	if !p.hasCreds {
		if info.Mode == "oauth" {
			hint := "pass an access token to run the MCP steps: --header 'Authorization: Bearer <token>'"
			p.record(Step{Name: StepInitialize, Status: StatusSkip, Detail: "needs an OAuth access token", Hint: hint}, time.Time{})
			return false
		}
		p.record(Step{
			Name: StepInitialize, Status: StatusFail, Class: ClassAuth, HTTPStatus: obs.status,
			Detail: fmt.Sprintf("the server requires credentials (HTTP %d) and none were given", obs.status),
			Hint:   "pass the API key: `--key-env VAR` names the variable holding it (default MCP_API_KEY, also read from .env), or `--header 'x-api-key: …'`",
		}, time.Time{})
		return false
	}
	return true
}

// endSession deletes the session a server opened for the unauthenticated request, so
// the check leaves nothing behind on a stateful server.
func (p *prober) endSession(ctx context.Context, obs *observation) {
	sid := obs.header.Get(mcpwire.HeaderSessionID)
	if sid == "" {
		return
	}
	h := p.plainHeader.Clone()
	h.Set(mcpwire.HeaderSessionID, sid)
	p.do(ctx, http.MethodDelete, p.endpoint, h, nil, false)
}

// roundDuration shortens d for messages.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(time.Millisecond)
	}
	return d
}

// sameURL compares two URLs ignoring a trailing slash and the case of scheme and host.
func sameURL(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	if errA != nil || errB != nil {
		return a == b
	}
	norm := func(u *url.URL) string {
		return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + strings.TrimSuffix(u.EscapedPath(), "/") + "?" + u.RawQuery
	}
	return norm(ua) == norm(ub)
}
