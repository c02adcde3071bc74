package probe

import (
	"fmt"
	"slices"
	"strings"
)

// Class names a kind of failure. Each class has its own exit code so that scripts (and
// `mcpctl deploy`) can react to what went wrong without parsing text.
type Class string

// Failure classes, in the order a check can meet them.
const (
	ClassUnreachable     Class = "unreachable"       // nothing answered: connection refused, reset, no route
	ClassDNS             Class = "dns"               // the host name does not resolve
	ClassTLS             Class = "tls"               // TLS handshake or certificate verification failed
	ClassUnavailable     Class = "unavailable"       // 502/503/504, Heroku router errors or timeouts, still so after retrying
	ClassWrongURL        Class = "wrong_url"         // the endpoint works, but at another URL (base URL without /mcp, redirect)
	ClassNotMCP          Class = "not_mcp"           // something answered, but not an MCP Streamable HTTP endpoint (404, HTML page)
	ClassLegacySSE       Class = "legacy_sse"        // an old HTTP+SSE (2024-11-05) server; clients need Streamable HTTP
	ClassAuth            Class = "auth"              // 401/403 with our credentials, or none given to a server that needs them
	ClassAuthNotEnforced Class = "auth_not_enforced" // a request without credentials was accepted although a key was given
	ClassOAuth           Class = "oauth"             // the OAuth discovery chain (RFC 9728 / RFC 8414 metadata) is broken
	ClassSession         Class = "session"           // the server lost the session (404 on a session id)
	ClassProtocol        Class = "protocol"          // initialize or tools/list failed at the MCP level
	ClassToolCall        Class = "tool_call"         // the requested tool is missing, failed, or returned isError
	ClassBadReply        Class = "bad_reply"         // something answered, but not with HTTP or a readable event stream
	ClassInternal        Class = "internal"          // a bug or an unexpected condition in mcpctl itself
	classNone            Class = ""                  // no failure
)

// classNameWidth is the widest class name, for aligning the help table.
const classNameWidth = len(ClassAuthNotEnforced)

// Exit codes of `mcpctl check`, one per failure class. 0 means every step passed; 1 and 2
// keep their usual meaning (unexpected failure, usage error) and 124/126/127/130 are left to
// the shell and to main.
const (
	ExitOK              = 0
	ExitInternal        = 1
	ExitUnreachable     = 10
	ExitDNS             = 11
	ExitTLS             = 12
	ExitUnavailable     = 13
	ExitWrongURL        = 14
	ExitNotMCP          = 15
	ExitLegacySSE       = 16
	ExitAuth            = 17
	ExitAuthNotEnforced = 18
	ExitOAuth           = 19
	ExitSession         = 20
	ExitProtocol        = 21
	ExitToolCall        = 22
	ExitBadReply        = 23
)

// ExitCodeDoc describes one exit code for help texts and documentation.
type ExitCodeDoc struct {
	Code    int
	Class   Class
	Meaning string
}

// ExitCodes lists every exit code of a check, in numeric order.
func ExitCodes() []ExitCodeDoc {
	return []ExitCodeDoc{
		{ExitOK, classNone, "every step passed (warnings may have been printed)"},
		{ExitInternal, ClassInternal, "unexpected failure inside mcpctl"},
		{ExitUnreachable, ClassUnreachable, "connection refused, reset or no route to the host"},
		{ExitDNS, ClassDNS, "the host name does not resolve"},
		{ExitTLS, ClassTLS, "TLS failed: untrusted, expired or mismatched certificate, or not TLS"},
		{ExitUnavailable, ClassUnavailable, "server unavailable (502/503/504, Heroku router error, timeout) after retrying"},
		{ExitWrongURL, ClassWrongURL, "the endpoint answers at another URL (e.g. the base URL without /mcp)"},
		{ExitNotMCP, ClassNotMCP, "not an MCP Streamable HTTP endpoint (404, HTML page, unexpected reply)"},
		{ExitLegacySSE, ClassLegacySSE, "legacy HTTP+SSE server; clients need Streamable HTTP"},
		{ExitAuth, ClassAuth, "credentials missing or rejected (401/403)"},
		{ExitAuthNotEnforced, ClassAuthNotEnforced, "the server accepted a request without credentials"},
		{ExitOAuth, ClassOAuth, "the OAuth discovery chain (protected-resource or authorization-server metadata) is broken"},
		{ExitSession, ClassSession, "the server lost the MCP session (404 on a session id)"},
		{ExitProtocol, ClassProtocol, "initialize or tools/list failed"},
		{ExitToolCall, ClassToolCall, "the --call tool is missing, failed or returned an error result"},
		{ExitBadReply, ClassBadReply, "something answered, but not with HTTP or a readable event stream (another protocol on the port, an endless event line)"},
	}
}

// ExitCode returns the process exit code for a failure of class c (0 for no failure).
func (c Class) ExitCode() int {
	for _, d := range ExitCodes() {
		if d.Class == c {
			return d.Code
		}
	}
	return ExitInternal
}

// ExitCodeHelp renders ExitCodes as an indented table for a command's --help text.
// extra adds a command's own codes (usage, interrupted); the table stays in numeric order.
func ExitCodeHelp(extra ...ExitCodeDoc) string {
	var b strings.Builder
	docs := append(ExitCodes(), extra...)
	slices.SortStableFunc(docs, func(a, b ExitCodeDoc) int { return a.Code - b.Code })
	for _, d := range docs {
		name := string(d.Class)
		if name == "" {
			name = "ok"
		}
		fmt.Fprintf(&b, "  %3d  %-*s  %s\n", d.Code, classNameWidth, name, d.Meaning)
	}
	return b.String()
}
