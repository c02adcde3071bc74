package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mcpctl/mcpctl/internal/mcpwire"
)

// ClassTransport is a connection that broke during a request.
const ClassTransport = "transport"

// maxBody bounds what is read of one answer.
const maxBody = 8 << 20

// caller holds what every client of a run shares.
type caller struct {
	opts   *Options
	hc     *http.Client
	era    string
	method string
	// params2026 and params2025 are the JSON params of each call in either era.
	params2026, params2025 []byte
}

type failure struct {
	class string
	msg   string
}

func (c *caller) buildParams() {
	c.method = "tools/list"
	var p map[string]any
	if c.opts.Tool != "" {
		c.method = "tools/call"
		args := c.opts.Args
		if len(args) == 0 {
			args = json.RawMessage("{}")
		}
		p = map[string]any{"name": c.opts.Tool, "arguments": args}
	} else {
		p = map[string]any{}
	}
	c.params2025, _ = json.Marshal(p)
	p["_meta"] = c.meta()
	c.params2026, _ = json.Marshal(p)
}

// meta is the per-request _meta of the 2026-07-28 revision.
func (c *caller) meta() map[string]any {
	return map[string]any{
		"io.modelcontextprotocol/protocolVersion":    Era2026,
		"io.modelcontextprotocol/clientInfo":         map[string]string{"name": c.opts.ClientName, "version": c.opts.ClientVersion},
		"io.modelcontextprotocol/clientCapabilities": map[string]any{},
	}
}

// discover asks the server which revision it speaks: 2026-07-28 when server/discover
// lists it, else 2025-11-25. Unreachable or refusing servers are setup errors.
func (c *caller) discover(ctx context.Context) (string, error) {
	params, _ := json.Marshal(map[string]any{"_meta": c.meta()})
	h := http.Header{mcpwire.HeaderProtocolVersion: {Era2026}, mcpwire.HeaderMethod: {"server/discover"}}
	raw, _, f := c.post(ctx, h, rpcBody(0, "server/discover", params), true)
	if f != nil {
		switch {
		case f.class == ClassConnect || f.class == ClassTimeout || f.class == ClassTransport,
			f.class == ClassHTTP+"401", f.class == ClassHTTP+"403", f.class == ClassHTTP+"404":
			return "", &SetupError{Class: f.class, Detail: "server/discover: " + f.msg, Hint: hintFor(f.class, c.opts.URL)}
		}
		return Era2025, nil
	}
	var res struct {
		Supported []string `json:"supportedVersions"`
	}
	if json.Unmarshal(raw, &res) == nil {
		for _, v := range res.Supported {
			if v == Era2026 {
				return Era2026, nil
			}
		}
	}
	return Era2025, nil
}

// client is one simulated MCP client: its own request ids and, in 2025-11-25, its
// own session.
type client struct {
	c       *caller
	session string
	id      int64
	header  http.Header
	body    []byte
}

func (c *caller) newClient(ctx context.Context) (*client, error) {
	cl := &client{c: c, header: http.Header{mcpwire.HeaderProtocolVersion: {c.era}}}
	if c.era == Era2026 {
		cl.header.Set(mcpwire.HeaderMethod, c.method)
		if c.opts.Tool != "" {
			cl.header.Set(mcpwire.HeaderName, c.opts.Tool)
		}
		return cl, nil
	}
	params, _ := json.Marshal(map[string]any{
		"protocolVersion": Era2025,
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]string{"name": c.opts.ClientName, "version": c.opts.ClientVersion},
	})
	_, resp, f := c.post(ctx, http.Header{}, rpcBody(0, "initialize", params), true)
	if f != nil {
		return nil, &SetupError{Class: f.class, Detail: "initialize: " + f.msg, Hint: hintFor(f.class, c.opts.URL)}
	}
	cl.session = resp.Get(mcpwire.HeaderSessionID)
	if cl.session != "" {
		cl.header.Set(mcpwire.HeaderSessionID, cl.session)
	}
	note := []byte(`{"jsonrpc":"2.0","method":"notifications/initialized","params":{}}`)
	if _, _, f := c.post(ctx, cl.header, note, false); f != nil {
		return nil, &SetupError{Class: f.class, Detail: "notifications/initialized: " + f.msg, Hint: hintFor(f.class, c.opts.URL)}
	}
	return cl, nil
}

// call makes one call and checks the answer.
func (cl *client) call(ctx context.Context) (time.Duration, *failure) {
	cl.id++
	params := cl.c.params2025
	if cl.c.era == Era2026 {
		params = cl.c.params2026
	}
	cl.body = appendRPC(cl.body[:0], cl.id, cl.c.method, params)
	start := time.Now()
	raw, _, f := cl.c.post(ctx, cl.header, cl.body, true)
	d := time.Since(start)
	if f != nil {
		return d, f
	}
	var res struct {
		IsError bool            `json:"isError"`
		Tools   json.RawMessage `json:"tools"`
		Content []struct {
			Text string `json:"text"`
		} `json:"content"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return d, &failure{ClassBadResponse, "the result is not a JSON object: " + err.Error()}
	}
	if cl.c.method == "tools/list" && !bytes.HasPrefix(res.Tools, []byte("[")) {
		return d, &failure{ClassBadResponse, "the tools/list result has no tools array"}
	}
	if res.IsError {
		msg := "the tool returned isError"
		if len(res.Content) > 0 {
			msg += ": " + clip(res.Content[0].Text)
		}
		return d, &failure{ClassToolError, msg}
	}
	return d, nil
}

// close ends the client's session, if it has one.
func (cl *client) close() {
	if cl.session == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, cl.c.opts.URL, nil)
	if err != nil {
		return
	}
	cl.c.setHeaders(req, cl.header)
	if resp, err := cl.c.hc.Do(req); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func (c *caller) setHeaders(req *http.Request, h http.Header) {
	for k, v := range c.opts.Header {
		req.Header[k] = v
	}
	for k, v := range h {
		req.Header[k] = v
	}
}

// post sends one JSON-RPC message. With wantResult it reads the answer (JSON or an event
// stream) and returns the result of the response whose id matches; otherwise it wants 202.
func (c *caller) post(ctx context.Context, h http.Header, body []byte, wantResult bool) (json.RawMessage, http.Header, *failure) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.opts.URL, bytes.NewReader(body))
	if err != nil {
		return nil, nil, &failure{ClassConnect, err.Error()}
	}
	c.setHeaders(req, h)
	req.Header["Content-Type"] = []string{"application/json"}
	req.Header["Accept"] = []string{"application/json, text/event-stream"}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, netFailure(err)
	}
	defer func() {
		// Drain what is left so that the connection is reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
	}()
	if !wantResult {
		if resp.StatusCode/100 != 2 {
			return nil, nil, statusFailure(resp)
		}
		return nil, resp.Header, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, statusFailure(resp)
	}
	want := requestID(body)
	ct := resp.Header.Get("Content-Type")
	var msg []byte
	switch {
	case strings.HasPrefix(ct, "application/json"):
		msg, err = io.ReadAll(io.LimitReader(resp.Body, maxBody))
		if err != nil {
			return nil, nil, netFailure(err)
		}
	case strings.HasPrefix(ct, mcpwire.MediaSSE):
		var f *failure
		if msg, f = readEvent(resp.Body, want); f != nil {
			return nil, nil, f
		}
	default:
		return nil, nil, &failure{ClassBadResponse, fmt.Sprintf("unexpected Content-Type %q", ct)}
	}
	var m mcpwire.Message
	if err := json.Unmarshal(msg, &m); err != nil {
		return nil, nil, &failure{ClassBadResponse, "the answer is not JSON-RPC: " + clip(string(msg))}
	}
	if !m.HasID(want) {
		return nil, nil, &failure{ClassBadResponse, fmt.Sprintf("the answer has id %s, want %s", m.ID, want)}
	}
	if m.Error != nil {
		return nil, nil, &failure{ClassJSONRPC, fmt.Sprintf("JSON-RPC error %d: %s", m.Error.Code, clip(m.Error.Message))}
	}
	if len(m.Result) == 0 {
		return nil, nil, &failure{ClassBadResponse, "the answer has no result"}
	}
	return m.Result, resp.Header, nil
}

// readEvent reads server-sent events until the one carrying the response with id want.
// Comments (keep-alives) and other messages (notifications, progress) are skipped.
func readEvent(r io.Reader, want []byte) ([]byte, *failure) {
	// The body limit ends the stream before an event could reach the reader's limit.
	er := mcpwire.NewEventReader(io.LimitReader(r, maxBody), maxBody+1)
	for {
		ev, err := er.Next()
		if m, ok := mcpwire.Peek(ev.Data); ok && len(ev.Data) > 0 && m.HasID(want) {
			return ev.Data, nil
		}
		if errors.Is(err, io.EOF) {
			return nil, &failure{ClassBadResponse, "the event stream ended without the response"}
		} else if err != nil {
			return nil, netFailure(err)
		}
	}
}

func statusFailure(resp *http.Response) *failure {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	// The 2026-07-28 era answers some JSON-RPC errors with a 4xx status.
	var m struct {
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &m) == nil && m.Error != nil {
		return &failure{ClassJSONRPC, fmt.Sprintf("JSON-RPC error %d: %s (HTTP %d)", m.Error.Code, clip(m.Error.Message), resp.StatusCode)}
	}
	msg := resp.Status
	if s := strings.TrimSpace(string(b)); s != "" {
		msg += ": " + clip(s)
	}
	return &failure{ClassHTTP + strconv.Itoa(resp.StatusCode), msg}
}

func netFailure(err error) *failure {
	var op *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return &failure{ClassTimeout, err.Error()}
	case errors.As(err, &op) && op.Op == "dial":
		return &failure{ClassConnect, err.Error()}
	case strings.Contains(err.Error(), "no such host"):
		return &failure{ClassConnect, err.Error()}
	}
	return &failure{ClassTransport, err.Error()}
}

func rpcBody(id int64, method string, params []byte) []byte {
	return appendRPC(nil, id, method, params)
}

func appendRPC(b []byte, id int64, method string, params []byte) []byte {
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"method":"`...)
	b = append(b, method...)
	b = append(b, `","params":`...)
	b = append(b, params...)
	return append(b, '}')
}

// requestID returns the id of a body appendRPC made.
func requestID(body []byte) []byte {
	const pre = `{"jsonrpc":"2.0","id":`
	rest := body[len(pre):]
	return rest[:bytes.IndexByte(rest, ',')]
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
