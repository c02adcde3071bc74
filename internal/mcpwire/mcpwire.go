// Package mcpwire holds what every piece of mcpctl that speaks MCP's Streamable HTTP
// transport by hand needs to agree on: the header names, the one rule for what counts as
// a loopback host, reading server-sent events, and peeking at JSON-RPC messages. The
// dev proxy, the bridge, the probe, connect and the load generator all use it, so that
// they read the wire the same way.
package mcpwire

import (
	"net"
	"strings"
)

// Header names and media types of the Streamable HTTP transport. All but
// HeaderLastEventID are in canonical form, so they also work as http.Header map keys.
const (
	HeaderSessionID       = "Mcp-Session-Id"
	HeaderProtocolVersion = "Mcp-Protocol-Version"
	HeaderLastEventID     = "Last-Event-ID"
	// HeaderMethod and HeaderName route a 2026-07-28 request without reading its body.
	HeaderMethod = "Mcp-Method"
	HeaderName   = "Mcp-Name"

	MediaSSE  = "text/event-stream"
	MediaJSON = "application/json"
)

// MediaType returns a Content-Type's media type, lower case, without parameters.
func MediaType(contentType string) string {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// IsLoopbackHost reports whether host names the loopback interface: "localhost" (in any
// case) or a loopback IP. A port and IPv6 brackets are allowed ("[::1]:8000"), so a URL's
// host and a Host header both work. Names under .localhost do not count: Go's resolver
// may ask DNS for them.
func IsLoopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
