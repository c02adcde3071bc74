package probe

import (
	"encoding/json"
	"io"
)

// SchemaVersion is the version of the Report JSON shape. Fields are only ever added within
// a version; a removal or a change of meaning bumps it.
const SchemaVersion = 1

// Step names, in the order a check runs them. OAuth steps run only against OAuth servers.
const (
	StepReach         = "reach"          // TCP and TLS connection, first HTTP answer (with retries)
	StepEndpoint      = "endpoint"       // the URL answers like an MCP endpoint (else: /mcp, legacy SSE, HTML…)
	StepAuth          = "auth"           // a request without credentials must be rejected
	StepOAuthResource = "oauth-resource" // RFC 9728 protected-resource metadata
	StepOAuthServer   = "oauth-server"   // RFC 8414 authorization-server metadata
	StepInitialize    = "initialize"     // MCP initialize (or server/discover) with credentials
	StepToolsList     = "tools/list"     // every page of tools/list
	StepToolsCall     = "tools/call"     // the optional tool call
)

// Step status values.
const (
	StatusPass = "pass"
	StatusWarn = "warn" // passed, but something needs attention (see Hint)
	StatusFail = "fail"
	StatusSkip = "skip" // not run: an earlier step failed, or it does not apply
)

// Report is the result of one check: what `mcpctl check --json` prints. Failures are data
// here, never Go errors; OK is false when any step failed.
type Report struct {
	SchemaVersion int    `json:"schema_version"`
	URL           string `json:"url"`      // the URL as given
	Endpoint      string `json:"endpoint"` // the URL the MCP steps used (differs when /mcp was found for the user)
	OK            bool   `json:"ok"`
	// Class, ExitCode, Summary and Hint describe the first failure; empty when OK.
	Class    Class  `json:"class,omitempty"`
	ExitCode int    `json:"exit_code"`
	Summary  string `json:"summary"`
	Hint     string `json:"hint,omitempty"`
	// DurationMS is the wall time of the whole check, retries included.
	DurationMS int64  `json:"duration_ms"`
	Steps      []Step `json:"steps"`

	Connection *Connection     `json:"connection,omitempty"`
	Auth       *AuthInfo       `json:"auth,omitempty"`
	Server     *ServerInfo     `json:"server,omitempty"`
	Tools      []string        `json:"tools,omitempty"` // tool names, as listed
	ToolCall   *ToolCallResult `json:"tool_call,omitempty"`
}

// Step is one timed step of a check.
type Step struct {
	Name       string `json:"name"`
	Status     string `json:"status"`
	DurationMS int64  `json:"duration_ms"`
	Detail     string `json:"detail"`         // what was observed, one line
	Hint       string `json:"hint,omitempty"` // the next thing to do, for fail and warn
	Class      Class  `json:"class,omitempty"`
	Attempts   int    `json:"attempts,omitempty"` // requests made, when retried
	// HTTP status of the response that decided the step, when there was one.
	HTTPStatus int `json:"http_status,omitempty"`
}

// Connection describes how the endpoint was reached.
type Connection struct {
	RemoteAddr    string `json:"remote_addr,omitempty"`
	Protocol      string `json:"protocol,omitempty"` // HTTP/1.1, HTTP/2.0
	TLSVersion    string `json:"tls_version,omitempty"`
	CertSubject   string `json:"cert_subject,omitempty"`
	CertIssuer    string `json:"cert_issuer,omitempty"`
	CertNotAfter  string `json:"cert_not_after,omitempty"` // RFC 3339
	Server        string `json:"server_header,omitempty"`  // the Server response header, e.g. "Heroku"
	RedirectedTo  string `json:"redirected_to,omitempty"`
	DNSMillis     int64  `json:"dns_ms,omitempty"`
	ConnectMillis int64  `json:"connect_ms,omitempty"`
	TLSMillis     int64  `json:"tls_ms,omitempty"`
}

// AuthInfo is what the check learned about the endpoint's authentication.
type AuthInfo struct {
	// Mode is "apikey" (401 without an OAuth challenge), "oauth" (401 with
	// resource_metadata), "none" (unauthenticated request accepted) or "unknown".
	Mode string `json:"mode"`
	// UnauthenticatedStatus is the HTTP status of the request sent without credentials.
	UnauthenticatedStatus int    `json:"unauthenticated_status,omitempty"`
	WWWAuthenticate       string `json:"www_authenticate,omitempty"`
	// Credentials names what the authenticated steps sent, never the value:
	// e.g. "x-api-key from MCP_API_KEY".
	Credentials string     `json:"credentials,omitempty"`
	OAuth       *OAuthInfo `json:"oauth,omitempty"`
}

// OAuthInfo is the discovery chain of an OAuth-protected endpoint.
type OAuthInfo struct {
	ResourceMetadataURL  string                `json:"resource_metadata_url,omitempty"`
	Resource             string                `json:"resource,omitempty"`
	ScopesSupported      []string              `json:"scopes_supported,omitempty"`
	AuthorizationServers []AuthorizationServer `json:"authorization_servers,omitempty"`
}

// AuthorizationServer is one entry of authorization_servers and what its metadata says.
type AuthorizationServer struct {
	Issuer                string   `json:"issuer"`
	MetadataURL           string   `json:"metadata_url,omitempty"` // where the metadata was found
	AuthorizationEndpoint string   `json:"authorization_endpoint,omitempty"`
	TokenEndpoint         string   `json:"token_endpoint,omitempty"`
	RegistrationEndpoint  string   `json:"registration_endpoint,omitempty"`
	CodeChallengeMethods  []string `json:"code_challenge_methods_supported,omitempty"`
	ClientIDMetadataDocs  bool     `json:"client_id_metadata_document_supported,omitempty"`
	Error                 string   `json:"error,omitempty"` // why the metadata is unusable
}

// ServerInfo is what initialize returned.
type ServerInfo struct {
	Name            string `json:"name"`
	Version         string `json:"version"`
	ProtocolVersion string `json:"protocol_version"`
	// Stateless is true when the server assigned no session id.
	Stateless    bool   `json:"stateless"`
	SessionID    string `json:"session_id,omitempty"`
	Instructions bool   `json:"has_instructions,omitempty"`
}

// ToolCallResult is the outcome of the optional tool call.
type ToolCallResult struct {
	Name              string          `json:"name"`
	IsError           bool            `json:"is_error"`
	Text              string          `json:"text,omitempty"` // text content blocks, joined by newlines
	StructuredContent json.RawMessage `json:"structured_content,omitempty"`
	// FirstByteMS is the time from sending the call to the first byte of its response
	// (the headers); routers cut responses that take too long to start.
	FirstByteMS int64 `json:"first_byte_ms"`
	// ResultMS is the time from sending the call to its result.
	ResultMS int64 `json:"result_ms"`
	// Progress counts the progress notifications received.
	Progress int `json:"progress_notifications"`
}

// WriteJSON writes r as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// Step returns the step called name and whether it ran.
func (r *Report) Step(name string) (Step, bool) {
	for _, s := range r.Steps {
		if s.Name == name {
			return s, true
		}
	}
	return Step{}, false
}
