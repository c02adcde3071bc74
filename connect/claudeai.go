package connect

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"

	"github.com/mcpctl/mcpctl/serverenv"
)

// claudeAISteps explains how to add the server in claude.ai, which has no file: its
// connectors are called from Anthropic's cloud, so only a public https URL can work.
func claudeAISteps(r Request, res Result) (Result, error) {
	res.Action = Manual
	if r.Remove {
		res.Steps = []string{
			"Open https://claude.ai/settings/connectors",
			fmt.Sprintf("Find the connector %q, open its menu and choose Remove", r.Name),
		}
		return res, nil
	}
	if err := checkPublicHTTPS(r.URL); err != nil {
		return res, err
	}
	steps := []string{
		"Open https://claude.ai/settings/connectors (Settings → Connectors)",
		"Click \"Add custom connector\"",
		fmt.Sprintf("Name: %s", r.Name),
		fmt.Sprintf("Remote MCP server URL: %s", r.URL),
	}
	switch r.Auth {
	case AuthOAuth:
		steps = append(steps,
			"Leave the OAuth client ID and secret empty if your identity provider supports dynamic client registration; otherwise open \"Advanced settings\" and enter the client ID and secret registered for claude.ai",
			"Register https://claude.ai/api/mcp/auth_callback as a redirect URI with your identity provider",
			"Click Add, then Connect, and sign in")
	case AuthAPIKey:
		steps = append(steps,
			fmt.Sprintf("If the form offers custom headers: add the header %s with the value of %s from %s", APIKeyHeader, r.KeyEnv, r.EnvFile),
			"Click Add")
		res.Notes = append(res.Notes,
			"claude.ai's custom-header option is not offered to every account yet; without it claude.ai cannot send an API key. OAuth is the reliable way: "+serverenv.OAuthAdvice(r.ProjectDir))
	default:
		steps = append(steps, "Click Add")
		res.Notes = append(res.Notes, "the server accepts anyone: claude.ai connectors are reachable from the internet, so consider OAuth: "+serverenv.OAuthAdvice(r.ProjectDir))
	}
	steps = append(steps, "In a chat, enable the connector from the tools menu")
	res.Steps = steps
	return res, nil
}

// checkPublicHTTPS refuses URLs that claude.ai's servers cannot reach: plain http, and
// hosts that are loopback, private, link-local or otherwise not on the internet. Names
// are not resolved (no network here); only literal addresses and local-only names are
// caught.
func checkPublicHTTPS(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not a URL", raw)
	}
	if u.Scheme != "https" {
		return fmt.Errorf("claude.ai connects only to https URLs, not %s; deploy first (`mcpctl deploy heroku`) and use --target deployed", raw)
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	for _, suffix := range []string{"localhost", ".local", ".internal", ".lan", ".home.arpa"} {
		if host == suffix || strings.HasSuffix(host, suffix) {
			return fmt.Errorf("claude.ai calls connectors from Anthropic's cloud, which cannot reach %s; use the deployed URL", u.Host)
		}
	}
	if !strings.Contains(host, ".") && net.ParseIP(host) == nil {
		return fmt.Errorf("claude.ai cannot reach the single-label host %q; use the deployed URL", host)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() ||
			ip.IsMulticast() || sharedAddressSpace(ip) {
			return fmt.Errorf("claude.ai calls connectors from Anthropic's cloud, which cannot reach %s; use the deployed URL", ip)
		}
	}
	return nil
}

// sharedAddressSpace is RFC 6598's carrier-grade NAT range, private in practice.
func sharedAddressSpace(ip netip.Addr) bool {
	return netip.MustParsePrefix("100.64.0.0/10").Contains(ip)
}
