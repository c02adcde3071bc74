package devproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mcpctl/mcpctl/internal/mcpwire"
)

const (
	sessionHeader  = mcpwire.HeaderSessionID
	protocolHeader = mcpwire.HeaderProtocolVersion
)

// Proxy owns the public dev address. Clients talk only to it, so the URL never changes
// while generations of the server come and go behind it. Its job is that no client notices
// a reload:
//   - a request waits (bounded) while no generation is healthy, instead of failing;
//   - request bodies are buffered, so a request can be re-sent to another generation;
//   - a generation is retired only after the requests it is serving have finished;
//   - stateful sessions are re-created on each new generation and their ids mapped
//     (see session.go), and GET streams move to the new generation without the client
//     seeing them end.
type Proxy struct {
	emit         func(Event) // never blocks
	waitTimeout  time.Duration
	maxBody      int64
	rp           *httputil.ReverseProxy
	sessions     sessionTable
	rpcID        atomic.Int64  // ids of the proxy's own JSON-RPC calls
	waiting      func()        // test hook: a request is about to wait for a generation
	streamOpened func(gen int) // test hook: a client's GET stream is relayed from gen

	// life is held (read) by every request handler, so Close can wait them out.
	life   sync.RWMutex
	closed bool

	mu      sync.Mutex
	cur     *Backend      // the generation receiving traffic; nil while none is healthy
	down    error         // why no generation is coming; requests fail fast instead of waiting
	changed chan struct{} // closed and replaced whenever cur or down changes
}

// Options configure a Proxy. The zero value works.
type Options struct {
	// WaitTimeout bounds how long a request waits for a healthy generation (default 30s).
	WaitTimeout time.Duration
	// MaxBodyBytes is the request body limit (default 8 MiB).
	MaxBodyBytes int64
	// OnEvent receives what the proxy reports. It is called from request goroutines and
	// must not block; nil drops events.
	OnEvent func(Event)
}

// New returns a proxy with no generation: requests wait until one is activated.
func New(opts Options) *Proxy {
	if opts.WaitTimeout <= 0 {
		opts.WaitTimeout = 30 * time.Second
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 8 << 20
	}
	if opts.OnEvent == nil {
		opts.OnEvent = func(Event) {}
	}
	p := &Proxy{
		emit:        opts.OnEvent,
		waitTimeout: opts.WaitTimeout,
		maxBody:     opts.MaxBodyBytes,
		sessions:    sessionTable{m: map[string]*session{}},
		changed:     make(chan struct{}),
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// RoundTrip picks the generation; the host here is a placeholder. The
			// client's Host goes on unchanged (ServeHTTP let only loopback ones through):
			// the server compares it with a browser's Origin, so a same-origin page on
			// the dev URL must look same-origin to it too.
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = "backend.invalid"
			pr.Out.Host = pr.In.Host
		},
		Transport:     p,
		FlushInterval: -1, // SSE must reach the client event by event
		ErrorHandler:  p.proxyError,
		ErrorLog:      log.New(io.Discard, "", 0), // the dashboard owns the terminal
	}
	return p
}

// Backend is one generation of the server as the proxy sees it: made ready by Prepare,
// given traffic by Activate, taken out of service by Detach or Retire.
type Backend struct {
	gen        int
	addr       string
	tr         *http.Transport
	superseded chan struct{} // closed once this is no longer the current generation
	once       sync.Once

	// Set by Prepare: sessions carried over eagerly, and those whose tool list differs
	// from the previous generation's (told so once the backend is active).
	carried      int
	toolsChanged []*session

	mu      sync.Mutex
	active  int // requests in flight (GET streams excluded: they move instead)
	retired bool
	idle    chan struct{} // closed when retired and active == 0
}

func newBackend(gen int, addr string) *Backend {
	return &Backend{
		gen:        gen,
		addr:       addr,
		superseded: make(chan struct{}),
		idle:       make(chan struct{}),
		tr: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			DisableCompression:  true, // pass bytes through; decompressing would delay SSE flushes
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     30 * time.Second,
		},
	}
}

func (b *Backend) acquire() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.retired {
		return false
	}
	b.active++
	return true
}

func (b *Backend) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.active--
	if b.retired && b.active == 0 {
		close(b.idle)
	}
}

// Carried is how many stateful sessions Prepare carried over to b eagerly (those holding a
// GET stream); others are carried on their next request.
func (b *Backend) Carried() int { return b.carried }

// ToolsChanged is how many of the carried sessions see a different tool list on b than on
// the generation before; their clients get notifications/tools/list_changed on Activate.
func (b *Backend) ToolsChanged() int { return len(b.toolsChanged) }

// CloseIdleConnections drops the proxy's idle connections to b (its process is gone).
func (b *Backend) CloseIdleConnections() { b.tr.CloseIdleConnections() }

// Retire takes b out of service for good: it stops receiving new requests, and the
// channel closes when the requests it is serving have finished. GET streams do not hold
// it up; they move to the next generation.
func (p *Proxy) Retire(b *Backend) <-chan struct{} {
	p.Detach(b)
	return b.retire()
}

func (b *Backend) retire() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.retired {
		b.retired = true
		if b.active == 0 {
			close(b.idle)
		}
	}
	return b.idle
}

func (b *Backend) supersede() { b.once.Do(func() { close(b.superseded) }) }

// broadcast wakes everyone waiting for a state change. Call with p.mu held.
func (p *Proxy) broadcast() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// current returns the backend receiving traffic, or nil.
func (p *Proxy) current() *Backend {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur
}

// Activate makes nb (from Prepare) the current generation and returns the previous one,
// which stops receiving new requests. Clients whose tool list changed are told so.
func (p *Proxy) Activate(nb *Backend) *Backend {
	p.mu.Lock()
	old := p.cur
	p.cur, p.down = nb, nil
	p.broadcast()
	p.mu.Unlock()
	if old != nil {
		old.supersede()
	}
	p.sessions.forgetBefore(nb.gen)
	for _, s := range nb.toolsChanged {
		s.notifyToolsChanged()
	}
	return old
}

// Detach takes b out of service (its process is gone or going) if it is current. Requests
// then wait for the next generation; GET streams on b move to it.
func (p *Proxy) Detach(b *Backend) {
	p.mu.Lock()
	if p.cur == b {
		p.cur = nil
		p.broadcast()
	}
	p.mu.Unlock()
	b.supersede()
}

// SetDown records why no generation is coming (nil: one is on its way). While none is
// current, requests then fail fast with 503 and that reason rather than wait.
func (p *Proxy) SetDown(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur == nil && p.down != err {
		p.down = err
		p.broadcast()
	}
}

// unavailableError is why a request found no generation to serve it.
type unavailableError struct{ reason string }

func (e *unavailableError) Error() string { return "mcpctl dev: " + e.reason }

// acquire returns the current backend with the request counted on it, waiting until
// deadline for one to become healthy.
func (p *Proxy) acquire(ctx context.Context, deadline time.Time) (*Backend, error) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		p.mu.Lock()
		b, down, changed := p.cur, p.down, p.changed
		p.mu.Unlock()
		if b != nil && b.acquire() {
			return b, nil
		}
		if b == nil && down != nil {
			return nil, &unavailableError{reason: down.Error()}
		}
		if p.waiting != nil {
			p.waiting()
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timer.C:
			return nil, &unavailableError{reason: fmt.Sprintf("no healthy server after waiting %s", p.waitTimeout)}
		}
	}
}

// awaitChange waits until b is no longer current, ctx ends, or d passes. It paces retries
// after a connection to b was refused: usually b's process just died and the supervisor is
// about to detach it.
func (p *Proxy) awaitChange(ctx context.Context, b *Backend, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-b.superseded:
	case <-ctx.Done():
	case <-t.C:
	}
}

// reqInfo travels with a request from ServeHTTP through the ReverseProxy to RoundTrip.
type reqInfo struct {
	body []byte
	rpc  rpcInfo
	gen  int // generation that answered
}

type reqInfoKey struct{}

// Close waits for running handlers (close the http.Server first, so their contexts are
// done) and turns away any late ones. After it returns, the proxy emits nothing.
func (p *Proxy) Close() {
	p.life.Lock()
	p.closed = true
	p.life.Unlock()
}

// ServeHTTP proxies one client request to the current generation.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.life.RLock()
	defer p.life.RUnlock()
	if p.closed {
		http.Error(w, "mcpctl dev is shutting down", http.StatusServiceUnavailable)
		return
	}
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	info := &reqInfo{}
	defer func() {
		p.emit(Request{
			Time: start, HTTPMethod: r.Method, Path: r.URL.Path,
			RPCMethod: info.rpc.Method, Tool: info.rpc.Tool,
			SessionID: r.Header.Get(sessionHeader),
			Status:    rec.status(), Duration: time.Since(start), Gen: info.gen,
		})
	}()

	// DNS-rebinding defence, as go-sdk applies it: we listen on loopback, so a foreign
	// Host means a page on another origin resolved its name to 127.0.0.1. The child cannot
	// check this itself because it only ever sees the proxy's loopback Host.
	if !mcpwire.IsLoopbackHost(r.Host) {
		http.Error(rec, fmt.Sprintf("Forbidden: invalid Host header %q", r.Host), http.StatusForbidden)
		return
	}
	if r.Body != nil && r.Body != http.NoBody {
		body, err := io.ReadAll(http.MaxBytesReader(rec, r.Body, p.maxBody))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				http.Error(rec, fmt.Sprintf("request body exceeds %d bytes", mbe.Limit), http.StatusRequestEntityTooLarge)
			} else {
				http.Error(rec, "reading request body: "+err.Error(), http.StatusBadRequest)
			}
			return
		}
		info.body = body
		info.rpc = parseRPC(body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	}
	r = r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, info))
	p.rp.ServeHTTP(rec, r)
}

// RoundTrip sends one proxied request to the current generation. It is the ReverseProxy's
// transport, so header hygiene and streaming the response stay the standard library's job.
func (p *Proxy) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	info, _ := ctx.Value(reqInfoKey{}).(*reqInfo)
	if info == nil {
		info = &reqInfo{}
	}
	clientSID := req.Header.Get(sessionHeader)
	var s *session
	if clientSID != "" {
		if s = p.sessions.get(clientSID); s != nil {
			s.noteRequest(req.Header)
		}
	}
	deadline := time.Now().Add(p.waitTimeout)
	for {
		b, err := p.acquire(ctx, deadline)
		if err != nil {
			return nil, err
		}
		info.gen = b.gen
		out := req.Clone(ctx)
		out.URL.Host = b.addr
		out.Host = req.Host // the client's (loopback) Host, see Rewrite
		if info.body != nil {
			out.Body = io.NopCloser(bytes.NewReader(info.body))
			out.ContentLength = int64(len(info.body))
			out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(info.body)), nil }
		}

		if s != nil {
			if req.Method == http.MethodDelete {
				p.sessions.remove(s)
				if s.childID(b.gen) == "" {
					// Never created on this generation: nothing to delete there.
					b.release()
					return synthResponse(req, http.StatusNoContent, nil, nil), nil
				}
			}
			sid, resp, err := p.ensure(ctx, s, b)
			switch {
			case resp != nil: // the server refused to re-create the session: show why
				b.release()
				setSessionHeader(resp.Header, s.id)
				return resp, nil
			case err != nil && isRefused(err) && time.Now().Before(deadline):
				b.release()
				p.awaitChange(ctx, b, 200*time.Millisecond)
				continue
			case err != nil:
				b.release()
				return nil, fmt.Errorf("carrying session %s over to the rebuilt server: %w", s.id, err)
			}
			out.Header.Set(sessionHeader, sid)
			// A GET with Last-Event-ID resumes one particular stream of this process;
			// only the session's standalone stream moves between generations.
			if req.Method == http.MethodGet && req.Header.Get(mcpwire.HeaderLastEventID) == "" {
				return p.openStream(req, out, s, b)
			}
		}

		resp, err := b.tr.RoundTrip(out)
		if err != nil {
			b.release()
			// Refused: the request never reached the process (it just died or is being
			// replaced), so sending it again cannot run anything twice.
			if isRefused(err) && ctx.Err() == nil && time.Now().Before(deadline) {
				p.awaitChange(ctx, b, 200*time.Millisecond)
				continue
			}
			return nil, err
		}
		p.afterResponse(req, info, s, b, resp)
		resp.Body = &releasingBody{ReadCloser: resp.Body, release: b.release}
		return resp, nil
	}
}

// afterResponse records what session continuity needs from a response and hides the
// child's session id from the client.
func (p *Proxy) afterResponse(req *http.Request, info *reqInfo, s *session, b *Backend, resp *http.Response) {
	ok := resp.StatusCode/100 == 2
	if s == nil {
		if id := resp.Header.Get(sessionHeader); id != "" && ok && info.rpc.Initialize && req.Header.Get(sessionHeader) == "" {
			// The first generation's id becomes the client's id for the session's lifetime.
			p.sessions.add(newSession(id, b.gen, req.URL.Path, info.body, req.Header))
		}
		return
	}
	setSessionHeader(resp.Header, s.id)
	switch {
	case ok && info.rpc.Initialized:
		s.setInitialized(info.body)
	case resp.StatusCode == http.StatusNotFound && req.Method != http.MethodDelete:
		// The server itself ended the session (e.g. its idle timeout): the client must
		// learn that, so don't resurrect it on the next generation either.
		p.sessions.remove(s)
	}
}

// proxyError answers a request no generation could serve. 503 is what MCP clients treat as
// transient: go-sdk keeps the session instead of tearing it down.
func (p *Proxy) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		// The client went away; nobody reads this answer.
		w.WriteHeader(499)
		return
	}
	status := http.StatusBadGateway
	var ue *unavailableError
	if errors.As(err, &ue) {
		status = http.StatusServiceUnavailable
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "mcpctl dev") {
		msg = "mcpctl dev: " + msg
	}
	var id json.RawMessage
	if info, _ := r.Context().Value(reqInfoKey{}).(*reqInfo); info != nil {
		id = info.rpc.ID
	}
	if id == nil {
		http.Error(w, msg, status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"jsonrpc": "2.0", "id": id,
		"error": map[string]any{"code": -32603, "message": msg},
	})
}

func setSessionHeader(h http.Header, id string) {
	if h.Get(sessionHeader) != "" {
		h.Set(sessionHeader, id)
	}
}

// releasingBody ends a request's claim on its generation when the response is done.
type releasingBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

func synthResponse(req *http.Request, status int, h http.Header, body []byte) *http.Response {
	if h == nil {
		h = http.Header{}
	}
	return &http.Response{
		Status: fmt.Sprintf("%d %s", status, http.StatusText(status)), StatusCode: status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		Request: req,
	}
}

// isRefused reports a connection that was refused: nothing was sent.
func isRefused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED)
}

// statusRecorder remembers the status for the request log. Unwrap keeps
// http.ResponseController (and so the ReverseProxy's flushing) working.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusRecorder) Flush() {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusRecorder) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// rpcInfo is what the proxy needs to know about a JSON-RPC message body.
type rpcInfo struct {
	Method      string
	Tool        string
	ID          json.RawMessage
	Initialize  bool
	Initialized bool
}

func parseRPC(body []byte) rpcInfo {
	m, ok := mcpwire.Peek(body)
	if !ok {
		return rpcInfo{}
	}
	return rpcInfo{Method: m.Method, ID: m.ID, Tool: m.Tool(),
		Initialize: m.Method == "initialize", Initialized: m.Method == "notifications/initialized"}
}
