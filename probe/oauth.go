package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/mcpctl/mcpctl/internal/mcpwire"
)

// maxAuthServers bounds how many authorization servers a check inspects.
const maxAuthServers = 3

// resourceMetadataParam returns resource_metadata from a Bearer challenge, or "".
func resourceMetadataParam(h http.Header) string {
	challenges, err := oauthex.ParseWWWAuthenticate(h.Values("WWW-Authenticate"))
	if err != nil {
		return ""
	}
	for _, c := range challenges {
		if c.Scheme == "bearer" && c.Params["resource_metadata"] != "" {
			return c.Params["resource_metadata"]
		}
	}
	return ""
}

// bearerParam returns a parameter (error, error_description, scope) of the Bearer
// challenge in h, or "".
func bearerParam(h http.Header, name string) string {
	challenges, err := oauthex.ParseWWWAuthenticate(h.Values("WWW-Authenticate"))
	if err != nil {
		return ""
	}
	for _, c := range challenges {
		if c.Scheme == "bearer" {
			return c.Params[name]
		}
	}
	return ""
}

// wellKnownURLs returns where metadata named suffix may live for u, in the order RFC 8414
// and RFC 9728 clients try: path-inserted first, then the root (and, for OpenID
// configuration, path-appended).
func wellKnownURLs(u *url.URL, suffix string, appended bool) []string {
	root := url.URL{Scheme: u.Scheme, Host: u.Host}
	path := strings.TrimSuffix(u.Path, "/")
	var urls []string
	if path != "" {
		urls = append(urls, root.String()+"/.well-known/"+suffix+path)
		if appended {
			urls = append(urls, root.String()+path+"/.well-known/"+suffix)
		}
	} else {
		urls = append(urls, root.String()+"/.well-known/"+suffix)
	}
	return urls
}

// findResourceMetadata looks for RFC 9728 metadata at the well-known locations for the
// endpoint, as clients do when a 401 names no resource_metadata.
func (p *prober) findResourceMetadata(ctx context.Context) string {
	u, err := url.Parse(p.endpoint)
	if err != nil {
		return ""
	}
	candidates := wellKnownURLs(u, "oauth-protected-resource", false)
	if strings.Trim(u.Path, "/") != "" {
		candidates = append(candidates, (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/.well-known/oauth-protected-resource"}).String())
	}
	for _, c := range candidates {
		var prm oauthex.ProtectedResourceMetadata
		if o := p.getJSON(ctx, c, &prm); o.err == nil && o.status == http.StatusOK && prm.Resource != "" {
			return c
		}
	}
	return ""
}

// getJSON fetches url and decodes a 200 JSON reply into v.
func (p *prober) getJSON(ctx context.Context, rawURL string, v any) *observation {
	h := p.plainHeader.Clone()
	h.Set("Accept", "application/json")
	o := p.do(ctx, http.MethodGet, rawURL, h, nil, false)
	if o.err != nil || o.status != http.StatusOK {
		return o
	}
	if err := json.Unmarshal(o.body, v); err != nil {
		o.err = fmt.Errorf("not JSON metadata (%s): %w", describeReply(o), err)
	}
	return o
}

func describeFetch(o *observation) string {
	if o.err != nil {
		return unwrapURLError(o.err).Error()
	}
	return describeReply(o)
}

// walkOAuth follows the discovery chain a client follows after a 401: the protected
// resource metadata, then each authorization server's metadata.
func (p *prober) walkOAuth(ctx context.Context, rm string, viaWellKnown bool) {
	info := &OAuthInfo{ResourceMetadataURL: rm}
	p.report.Auth.OAuth = info
	prm, ok := p.stepResourceMetadata(ctx, rm, viaWellKnown, info)
	if !ok {
		return
	}
	p.stepAuthServers(ctx, prm, info)
}

func (p *prober) stepResourceMetadata(ctx context.Context, rm string, viaWellKnown bool, info *OAuthInfo) (*oauthex.ProtectedResourceMetadata, bool) {
	start := p.now()
	st := Step{Name: StepOAuthResource}
	fail := func(detail, hint string) (*oauthex.ProtectedResourceMetadata, bool) {
		st.Status, st.Class, st.Detail, st.Hint = StatusFail, ClassOAuth, detail, hint
		p.record(st, start)
		return nil, false
	}
	u, err := url.Parse(rm)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return fail(fmt.Sprintf("resource_metadata %q is not an absolute URL", rm),
			"send the full URL, e.g. WWW-Authenticate: Bearer resource_metadata=\"https://HOST/.well-known/oauth-protected-resource"+p.opts.MCPPath+"\"")
	}
	if u.Scheme != "https" && !mcpwire.IsLoopbackHost(u.Hostname()) {
		return fail(fmt.Sprintf("resource_metadata %q is not HTTPS", rm), "serve the metadata over HTTPS; clients refuse plain HTTP outside localhost")
	}
	var prm oauthex.ProtectedResourceMetadata
	o := p.getJSON(ctx, rm, &prm)
	st.HTTPStatus = o.status
	if o.err != nil || o.status != http.StatusOK {
		return fail(fmt.Sprintf("protected-resource metadata at %s: %s", rm, describeFetch(o)),
			"serve RFC 9728 metadata at /.well-known/oauth-protected-resource (at the root of the host, and at the path-suffixed form for the MCP path)")
	}
	info.Resource = prm.Resource
	info.ScopesSupported = prm.ScopesSupported
	for _, as := range prm.AuthorizationServers {
		info.AuthorizationServers = append(info.AuthorizationServers, AuthorizationServer{Issuer: as})
	}
	switch {
	case prm.Resource == "":
		return fail("the protected-resource metadata has no `resource`", "set `resource` to the endpoint's public URL ("+p.endpoint+")")
	case !sameURL(prm.Resource, p.endpoint):
		return fail(fmt.Sprintf("the metadata's resource %q is not this endpoint (%s)", prm.Resource, p.endpoint),
			"set the resource URL (MCP_RESOURCE_URL) to the endpoint's exact public URL: clients reject metadata for another resource, and tokens are bound to it")
	case len(prm.AuthorizationServers) == 0:
		return fail("the protected-resource metadata lists no authorization_servers", "list the issuer URL of the identity provider in authorization_servers")
	}
	st.Status = StatusPass
	st.Detail = fmt.Sprintf("resource %s · authorization servers: %s", prm.Resource, strings.Join(prm.AuthorizationServers, ", "))
	if len(prm.ScopesSupported) > 0 {
		st.Detail += " · scopes: " + strings.Join(prm.ScopesSupported, " ")
	}
	if prm.Resource != p.endpoint {
		st.Status = StatusWarn
		st.Hint = fmt.Sprintf("the resource %q differs from the endpoint URL %q in form: some clients compare them exactly", prm.Resource, p.endpoint)
	}
	if viaWellKnown {
		st.Status = StatusWarn
		st.Hint = fmt.Sprintf("the 401 names no resource_metadata; add WWW-Authenticate: Bearer resource_metadata=%q so every client finds it", rm)
	}
	p.record(st, start)
	return &prm, true
}

func (p *prober) stepAuthServers(ctx context.Context, prm *oauthex.ProtectedResourceMetadata, info *OAuthInfo) {
	start := p.now()
	st := Step{Name: StepOAuthServer, Status: StatusPass}
	var details, warns []string
	for i, issuer := range prm.AuthorizationServers {
		if i == maxAuthServers {
			break
		}
		as := &info.AuthorizationServers[i]
		problem, warn := p.inspectAuthServer(ctx, issuer, as)
		switch {
		case problem != "":
			as.Error = problem
			if st.Status != StatusFail {
				st.Status, st.Class = StatusFail, ClassOAuth
				st.Detail = fmt.Sprintf("authorization server %s: %s", issuer, problem)
				st.Hint = "the identity provider must publish RFC 8414 (or OpenID) metadata with authorization and token endpoints, PKCE S256, and dynamic client registration or client ID metadata documents"
			}
		case warn != "":
			warns = append(warns, fmt.Sprintf("%s: %s", issuer, warn))
			details = append(details, issuer+" (no client registration)")
		default:
			details = append(details, issuer+" (PKCE S256, "+registrationKind(as)+")")
		}
	}
	if st.Status == StatusPass {
		st.Detail = strings.Join(details, "; ")
		if len(warns) > 0 {
			st.Status = StatusWarn
			st.Hint = strings.Join(warns, "; ")
		}
	}
	p.record(st, start)
}

func registrationKind(as *AuthorizationServer) string {
	var kinds []string
	if as.RegistrationEndpoint != "" {
		kinds = append(kinds, "dynamic registration")
	}
	if as.ClientIDMetadataDocs {
		kinds = append(kinds, "client ID metadata documents")
	}
	return strings.Join(kinds, " and ")
}

// inspectAuthServer fetches the metadata of one authorization server and returns what
// makes it unusable for MCP clients (problem) or merely limits it (warn).
func (p *prober) inspectAuthServer(ctx context.Context, issuer string, as *AuthorizationServer) (problem, warn string) {
	u, err := url.Parse(issuer)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return fmt.Sprintf("%q is not an absolute issuer URL", issuer), ""
	}
	candidates := append(wellKnownURLs(u, "oauth-authorization-server", false), wellKnownURLs(u, "openid-configuration", true)...)
	var meta oauthex.AuthServerMeta
	var tried []string
	found := false
	for _, c := range candidates {
		meta = oauthex.AuthServerMeta{}
		o := p.getJSON(ctx, c, &meta)
		if o.err == nil && o.status == http.StatusOK {
			as.MetadataURL = c
			found = true
			break
		}
		tried = append(tried, fmt.Sprintf("%s: %s", c, describeFetch(o)))
	}
	if !found {
		return "no metadata found (" + strings.Join(tried, "; ") + ")", ""
	}
	as.AuthorizationEndpoint = meta.AuthorizationEndpoint
	as.TokenEndpoint = meta.TokenEndpoint
	as.RegistrationEndpoint = meta.RegistrationEndpoint
	as.CodeChallengeMethods = meta.CodeChallengeMethodsSupported
	as.ClientIDMetadataDocs = meta.ClientIDMetadataDocumentSupported
	switch {
	case !sameURL(meta.Issuer, issuer):
		return fmt.Sprintf("the metadata's issuer %q differs from %q", meta.Issuer, issuer), ""
	case meta.AuthorizationEndpoint == "":
		return "the metadata has no authorization_endpoint", ""
	case meta.TokenEndpoint == "":
		return "the metadata has no token_endpoint", ""
	case !slices.Contains(meta.CodeChallengeMethodsSupported, "S256"):
		return "PKCE S256 is not advertised (code_challenge_methods_supported); MCP clients refuse such servers", ""
	case meta.RegistrationEndpoint == "" && !meta.ClientIDMetadataDocumentSupported:
		return "", "neither dynamic client registration nor client ID metadata documents: each client needs a client ID registered by hand"
	}
	return "", ""
}
