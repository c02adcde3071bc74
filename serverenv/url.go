package serverenv

import (
	"net/url"
	"strconv"
	"strings"
)

// LocalHost is where `mcpctl dev` serves; clients on this machine use it.
const LocalHost = "127.0.0.1"

// LocalURL is the MCP endpoint's URL when served locally on port: the port actually
// served (`mcpctl dev --port`), which need not be mcpctl.toml's.
func LocalURL(port int, path string) string {
	return "http://" + LocalHost + ":" + strconv.Itoa(port) + path
}

// EndpointURL is the MCP endpoint's URL on a deployed app whose base URL (the platform's
// web URL, with or without a trailing slash) is base.
func EndpointURL(base, path string) string {
	return strings.TrimSuffix(base, "/") + path
}

// isLocalURLAt reports whether u is the local URL of path on port, written with any
// loopback host (127.0.0.1, localhost, [::1]).
func isLocalURLAt(u string, port int, path string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "http" || p.Path != path || p.Port() != strconv.Itoa(port) {
		return false
	}
	switch p.Hostname() {
	case "127.0.0.1", "localhost", "::1":
		return true
	}
	return false
}
