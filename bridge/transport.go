package bridge

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcpctl/mcpctl/internal/mcpwire"
)

const protocolVersionHeader = mcpwire.HeaderProtocolVersion

// headerTransport adds the bridge's headers to requests for the target, and the
// negotiated protocol version to requests that lack one. go-sdk's client transport has
// no headers option, and it learns the protocol version only from its own mcp.Client,
// which the bridge does not use.
type headerTransport struct {
	base     http.RoundTripper
	scheme   string
	host     string
	header   http.Header
	version  func() string
	onStatus func(int)
}

func (t *headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// Credentials go only to the configured origin, never to where a redirect points.
	if !strings.EqualFold(req.URL.Host, t.host) || req.URL.Scheme != t.scheme {
		return t.base.RoundTrip(req)
	}
	req = req.Clone(req.Context()) // a RoundTripper must not change the caller's request
	for k, vs := range t.header {
		req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	if req.Header.Get(protocolVersionHeader) == "" {
		if v := t.version(); v != "" {
			req.Header.Set(protocolVersionHeader, v)
		}
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if t.onStatus != nil {
		t.onStatus(resp.StatusCode)
	}
	return rejectionAsError(req, resp), nil
}

// rejectionAsError rewrites a plain-text 4xx answer to a POSTed call (a server refusing a
// method it does not know, say) into a JSON-RPC error for that call. go-sdk's client
// connection treats a JSON-RPC error as the call's answer but any other 4xx as the end of
// the whole session; a bridge must not drop every later message because one was refused.
// 401, 403 and 404 keep their meaning (bad credentials, session gone).
func rejectionAsError(req *http.Request, resp *http.Response) *http.Response {
	switch {
	case req.Method != http.MethodPost || resp.StatusCode < 400 || resp.StatusCode >= 500,
		resp.StatusCode == http.StatusUnauthorized, resp.StatusCode == http.StatusForbidden,
		resp.StatusCode == http.StatusNotFound, req.GetBody == nil:
		return resp
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/json" {
		return resp // possibly a JSON-RPC error already; the SDK reads those itself
	}
	body, err := req.GetBody()
	if err != nil {
		return resp
	}
	sent, err := io.ReadAll(body)
	body.Close()
	if err != nil {
		return resp
	}
	msg, err := jsonrpc.DecodeMessage(sent)
	if err != nil {
		return resp
	}
	call, ok := msg.(*jsonrpc.Request)
	if !ok || !call.IsCall() {
		return resp
	}
	text, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	reason := strings.TrimSpace(string(text))
	if reason == "" {
		reason = http.StatusText(resp.StatusCode)
	}
	data, err := jsonrpc.EncodeMessage(&jsonrpc.Response{ID: call.ID, Error: &jsonrpc.Error{
		Code:    jsonrpc.CodeInvalidRequest,
		Message: fmt.Sprintf("the server refused %s (HTTP %d): %s", call.Method, resp.StatusCode, reason),
	}})
	if err != nil {
		return resp
	}
	out := *resp
	out.Header = resp.Header.Clone()
	out.Header.Set("Content-Type", "application/json")
	out.Header.Set("Content-Length", strconv.Itoa(len(data)))
	out.ContentLength = int64(len(data))
	out.Body = io.NopCloser(bytes.NewReader(data))
	return &out
}
