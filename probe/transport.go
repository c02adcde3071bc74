package probe

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mcpctl/mcpctl/internal/mcpwire"
)

// peekLimit bounds how much of a response body is kept for diagnosis.
const peekLimit = 4096

// exchange is what the recorder saw of one HTTP request and its response.
type exchange struct {
	method      string
	url         string
	sentSession bool // the request carried Mcp-Session-Id
	status      int
	header      http.Header
	body        []byte // first bytes of the body, kept only when it is not an MCP reply
	err         error
}

func (e exchange) contentType() string { return mcpwire.MediaType(e.header.Get("Content-Type")) }

// recorder remembers the last exchanges a go-sdk client made, so that a failed
// Connect or ListTools can be explained from the HTTP response that caused it rather
// than from the SDK's error text.
type recorder struct {
	mu   sync.Mutex
	last []exchange

	timing    bool      // time the next POST's first byte
	sent      time.Time // when timing started
	firstByte time.Duration
}

// timeFirstByte starts timing: the first POST answered from now on gives the time to
// first byte (a tool call's, as the probe sends nothing else meanwhile).
func (r *recorder) timeFirstByte(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.timing, r.sent, r.firstByte = true, now, 0
}

func (r *recorder) answered(method string, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.timing && method == http.MethodPost {
		r.timing, r.firstByte = false, now.Sub(r.sent)
	}
}

func (r *recorder) timeToFirstByte() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.firstByte
}

const recorderKeep = 8

func (r *recorder) add(e exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.last) == recorderKeep {
		r.last = append(r.last[:0], r.last[1:]...)
	}
	r.last = append(r.last, e)
}

// lastFailure returns the last exchange (DELETEs aside: go-sdk sends one while closing
// after a failure) if it failed: a transport error, a non-2xx status, or a POST answered
// with something other than JSON or SSE. Earlier exchanges are not the cause: go-sdk
// tolerates some failures (a server/discover rejected before initialize).
func (r *recorder) lastFailure() (exchange, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.last) - 1; i >= 0; i-- {
		e := r.last[i]
		if e.method == http.MethodDelete {
			continue
		}
		failed := e.err != nil || e.status < 200 || e.status >= 300
		notMCP := e.method == http.MethodPost && e.status != http.StatusAccepted && !isMCPContentType(e.contentType())
		return e, failed || notMCP
	}
	return exchange{}, false
}

// reset forgets earlier exchanges so that a retried step is judged on its own.
func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last = r.last[:0]
}

// headerTransport adds fixed headers (the key, --header values) to every request and
// records the outcome. go-sdk's StreamableClientTransport has no headers field, so this
// is how credentials reach the server.
type headerTransport struct {
	base   http.RoundTripper
	header http.Header
	rec    *recorder
}

func (t *headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// A RoundTripper must not modify the caller's request.
	req = req.Clone(req.Context())
	setHeaders(req, t.header)
	resp, err := t.base.RoundTrip(req)
	if err == nil && t.rec != nil {
		t.rec.answered(req.Method, time.Now()) // headers are in: the first byte
	}
	e := exchange{
		method:      req.Method,
		url:         req.URL.String(),
		sentSession: req.Header.Get(mcpwire.HeaderSessionID) != "",
		err:         err,
	}
	if err == nil {
		e.status = resp.StatusCode
		e.header = resp.Header.Clone()
		if resp.StatusCode >= 300 || !isMCPContentType(mcpwire.MediaType(resp.Header.Get("Content-Type"))) {
			e.body = peekBody(resp)
		}
	}
	if t.rec != nil {
		t.rec.add(e)
	}
	return resp, err
}

// peekBody reads the start of resp.Body and puts it back in front of the rest, so the
// caller still sees the whole body.
func peekBody(resp *http.Response) []byte {
	if resp.Body == nil || resp.Body == http.NoBody {
		return nil
	}
	buf := make([]byte, peekLimit)
	n, _ := io.ReadFull(resp.Body, buf)
	buf = buf[:n]
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(buf), resp.Body), resp.Body}
	return buf
}

func isMCPContentType(mt string) bool {
	return mt == mcpwire.MediaJSON || mt == mcpwire.MediaSSE
}

// isCredentialHeader reports whether a header may carry credentials, so that the
// unauthenticated request leaves it out.
func isCredentialHeader(name, keyHeader string) bool {
	n := strings.ToLower(name)
	if strings.EqualFold(name, keyHeader) {
		return true
	}
	switch n {
	case "authorization", "proxy-authorization", "cookie":
		return true
	}
	for _, part := range []string{"key", "token", "auth", "secret", "password", "session"} {
		if strings.Contains(n, part) {
			return true
		}
	}
	return false
}

// setHeaders copies h onto req. A Host header becomes req.Host, the only way Go sends
// one (e.g. to reach a virtual host through its IP address).
func setHeaders(req *http.Request, h http.Header) {
	for name, values := range h {
		if name == "Host" {
			if len(values) > 0 {
				req.Host = values[0]
			}
			continue
		}
		req.Header[name] = append([]string(nil), values...)
	}
}
