package devproxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/mcpctl/mcpctl/internal/mcpwire"
)

// Session continuity. A stateful MCP server keeps sessions in memory, so a rebuilt process
// does not know the Mcp-Session-Id a connected client holds, and the client would get 404
// and have to reconnect. The proxy therefore remembers how each session began (its
// initialize request and notifications/initialized) and replays that on each new
// generation, mapping the client's id (the first generation's) to the id the new process
// assigned, in both directions. Stateless servers assign no ids, so none of this applies.
//
// What is not carried: state a session built up after initialization inside the server
// (logging level, resource subscriptions, anything the user's code keeps per session).

// sessionTable maps client-visible session ids to sessions.
type sessionTable struct {
	mu sync.Mutex
	m  map[string]*session
}

func (t *sessionTable) get(id string) *session {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[id]
}

func (t *sessionTable) add(s *session) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.m[s.id] = s
}

func (t *sessionTable) remove(s *session) {
	t.mu.Lock()
	delete(t.m, s.id)
	t.mu.Unlock()
	s.mu.Lock()
	s.deleted = true
	s.mu.Unlock()
}

func (t *sessionTable) all() []*session {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*session, 0, len(t.m))
	for _, s := range t.m {
		out = append(out, s)
	}
	return out
}

// streaming returns the sessions that hold a GET stream.
func (t *sessionTable) streaming() []*session {
	var out []*session
	for _, s := range t.all() {
		s.mu.Lock()
		if len(s.relays) > 0 {
			out = append(out, s)
		}
		s.mu.Unlock()
	}
	return out
}

// forgetBefore drops child ids of generations older than gen: those processes are
// retiring, and requests already sent to them carry their id.
func (t *sessionTable) forgetBefore(gen int) {
	for _, s := range t.all() {
		s.mu.Lock()
		for g := range s.child {
			if g < gen {
				delete(s.child, g)
			}
		}
		s.mu.Unlock()
	}
}

type session struct {
	id       string // what the client knows
	path     string // endpoint the client initialized on
	initBody []byte

	initMu sync.Mutex // serialises re-creating the session and snapshotting its tools

	mu          sync.Mutex
	initialized []byte      // notifications/initialized as the client sent it
	header      http.Header // the client's latest request headers (credentials may rotate)
	protocol    string      // negotiated protocol version, from the client's headers
	child       map[int]string
	tools       string // digest of the tool list last seen, "" when unknown
	relays      map[*relay]struct{}
	deleted     bool
}

func newSession(id string, gen int, path string, initBody []byte, h http.Header) *session {
	s := &session{
		id:       id,
		path:     path,
		initBody: initBody,
		child:    map[int]string{gen: id},
		relays:   map[*relay]struct{}{},
	}
	s.noteRequest(h)
	return s
}

func (s *session) noteRequest(h http.Header) {
	c := h.Clone()
	// Per-request headers, or ones the proxy sets itself on its own requests.
	for _, k := range []string{"Content-Length", "Content-Type", "Accept", "Accept-Encoding",
		sessionHeader, protocolHeader, mcpwire.HeaderLastEventID} {
		c.Del(k)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.header = c
	if v := h.Get(protocolHeader); v != "" {
		s.protocol = v
	}
}

func (s *session) setInitialized(body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initialized = body
}

func (s *session) childID(gen int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.child[gen]
}

func (s *session) notifyToolsChanged() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for r := range s.relays {
		select {
		case r.inject <- struct{}{}:
		default: // one pending notification is as good as two
		}
	}
}

// replayHeader is the header set for the proxy's own requests on this session.
func (s *session) replayHeader(childID string) http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if childID != "" {
		h.Set(sessionHeader, childID)
		if s.protocol != "" {
			h.Set(protocolHeader, s.protocol)
		}
	}
	return h
}

// ensure returns the id of session s on backend b, re-creating the session there first if
// b never saw it. A non-nil response is the server's refusal (e.g. 401 after the key
// changed in .env), to be passed to the client as is.
func (p *Proxy) ensure(ctx context.Context, s *session, b *Backend) (string, *http.Response, error) {
	if id := s.childID(b.gen); id != "" {
		return id, nil, nil
	}
	s.initMu.Lock()
	defer s.initMu.Unlock()
	return p.ensureLocked(ctx, s, b)
}

func (p *Proxy) ensureLocked(ctx context.Context, s *session, b *Backend) (string, *http.Response, error) {
	if id := s.childID(b.gen); id != "" {
		return id, nil, nil
	}
	s.mu.Lock()
	deleted, initialized := s.deleted, s.initialized
	s.mu.Unlock()
	if deleted {
		return "", nil, errors.New("session was deleted")
	}
	resp, body, err := p.call(ctx, b, s.path, s.replayHeader(""), s.initBody)
	if err != nil {
		return "", nil, err
	}
	id := resp.Header.Get(sessionHeader)
	if resp.StatusCode != http.StatusOK {
		return "", synthResponse(resp.Request, resp.StatusCode, resp.Header, body), nil
	}
	if id == "" {
		// The rebuilt server is stateless now (mcpctl.toml changed): there is nothing to
		// map, and the session header will be ignored by it.
		return "", nil, errors.New("the rebuilt server no longer assigns sessions (stateless); reconnect the client")
	}
	if initialized == nil {
		initialized = []byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	}
	resp, body, err = p.call(ctx, b, s.path, s.replayHeader(id), initialized)
	if err != nil {
		return "", nil, err
	}
	if resp.StatusCode/100 != 2 {
		return "", synthResponse(resp.Request, resp.StatusCode, resp.Header, body), nil
	}
	s.mu.Lock()
	s.child[b.gen] = id
	s.mu.Unlock()
	return id, nil, nil
}

// Prepare readies generation gen, healthy at addr, for traffic: it carries the sessions
// that hold a GET stream over to it and notes those whose tool list differs from the
// current generation's; their clients are sent notifications/tools/list_changed once the
// backend is activated. Other sessions are carried lazily on their next request. A session
// that cannot be carried is reported as SessionLost. Prepare does not give the backend
// traffic: Activate does.
func (p *Proxy) Prepare(ctx context.Context, gen int, addr string) *Backend {
	nb := newBackend(gen, addr)
	old := p.current()
	for _, s := range p.sessions.streaming() {
		s.initMu.Lock()
		func() {
			defer s.initMu.Unlock()
			s.mu.Lock()
			before := s.tools
			s.mu.Unlock()
			if before == "" && old != nil {
				if id, _, err := p.ensureLocked(ctx, s, old); err == nil && id != "" {
					before, _ = p.toolsDigest(ctx, old, s, id)
				}
			}
			id, resp, err := p.ensureLocked(ctx, s, nb)
			if resp != nil {
				resp.Body.Close()
				err = fmt.Errorf("server answered %s", resp.Status)
			}
			if err != nil {
				p.emit(SessionLost{Time: time.Now(), SessionID: s.id, Gen: nb.gen, Err: err})
				return
			}
			nb.carried++
			after, err := p.toolsDigest(ctx, nb, s, id)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.tools = after
			s.mu.Unlock()
			// Unknown before (nothing to compare with): tell the client anyway, a spurious
			// list_changed only costs it one tools/list.
			if after != before {
				nb.toolsChanged = append(nb.toolsChanged, s)
			}
		}()
	}
	return nb
}

// toolsDigest lists the tools session id sees on b and returns a digest that ignores
// ordering and formatting.
func (p *Proxy) toolsDigest(ctx context.Context, b *Backend, s *session, id string) (string, error) {
	var tools []string
	cursor := ""
	for page := 0; page < 100; page++ {
		params := map[string]any{}
		if cursor != "" {
			params["cursor"] = cursor
		}
		result, err := p.rpc(ctx, b, s.path, s.replayHeader(id), "tools/list", params)
		if err != nil {
			return "", err
		}
		var r struct {
			Tools      []json.RawMessage `json:"tools"`
			NextCursor string            `json:"nextCursor"`
		}
		if err := json.Unmarshal(result, &r); err != nil {
			return "", err
		}
		for _, t := range r.Tools {
			var v any
			if json.Unmarshal(t, &v) == nil {
				canon, _ := json.Marshal(v) // map keys come out sorted
				tools = append(tools, string(canon))
			}
		}
		if cursor = r.NextCursor; cursor == "" {
			break
		}
	}
	slices.Sort(tools)
	sum := sha256.New()
	for _, t := range tools {
		sum.Write([]byte(t))
		sum.Write([]byte{0})
	}
	return hex.EncodeToString(sum.Sum(nil)), nil
}

// rpc makes one JSON-RPC call of the proxy's own and returns its result.
func (p *Proxy) rpc(ctx context.Context, b *Backend, path string, h http.Header, method string, params any) (json.RawMessage, error) {
	id := "mcpctl-dev-" + strconv.FormatInt(p.rpcID.Add(1), 10)
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	if err != nil {
		return nil, err
	}
	resp, data, err := p.call(ctx, b, path, h, body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", method, resp.Status)
	}
	msgs := [][]byte{data}
	if mcpwire.MediaType(resp.Header.Get("Content-Type")) == mcpwire.MediaSSE {
		msgs = nil
		er := mcpwire.NewEventReader(bytes.NewReader(data), len(data)+1)
		for {
			ev, err := er.Next()
			if len(ev.Data) > 0 {
				msgs = append(msgs, ev.Data)
			}
			if err != nil {
				break
			}
		}
	}
	for _, m := range msgs {
		var r struct {
			ID     json.RawMessage `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(m, &r) != nil || string(r.ID) != strconv.Quote(id) {
			continue // a notification or progress on the same stream
		}
		if r.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, r.Error.Message)
		}
		return r.Result, nil
	}
	return nil, fmt.Errorf("%s: no response in answer", method)
}

// call POSTs one JSON-RPC message to b and reads the whole answer.
func (p *Proxy) call(ctx context.Context, b *Backend, path string, h http.Header, body []byte) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+b.addr+path, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := b.tr.RoundTrip(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, nil, err
	}
	return resp, data, nil
}

// toolsChangedEvent is what a client with a GET stream receives when a reload changed the
// tools (MCP notifications/tools/list_changed, as an SSE message event).
const toolsChangedEvent = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}\n\n"

// relay is a client's GET stream. The client keeps one connection to the proxy while the
// relay moves the upstream half from generation to generation, so the stream never ends
// because of a reload. Writes to the client happen only here and only whole events, which
// is what lets notifications be injected between upstream events.
type relay struct {
	p      *Proxy
	s      *session
	pw     *io.PipeWriter
	inject chan struct{}
}

// openStream starts a client's GET stream on b (already acquired; released here, since a
// stream does not hold up a retirement but moves on instead).
func (p *Proxy) openStream(req, out *http.Request, s *session, b *Backend) (*http.Response, error) {
	ctx := req.Context()
	upCtx, upCancel := context.WithCancel(ctx)
	up, err := b.tr.RoundTrip(out.WithContext(upCtx))
	b.release()
	if err != nil {
		upCancel()
		return nil, err
	}
	if up.StatusCode != http.StatusOK || mcpwire.MediaType(up.Header.Get("Content-Type")) != mcpwire.MediaSSE {
		setSessionHeader(up.Header, s.id)
		up.Body = &releasingBody{ReadCloser: up.Body, release: upCancel}
		return up, nil
	}
	pr, pw := io.Pipe()
	rl := &relay{p: p, s: s, pw: pw, inject: make(chan struct{}, 1)}
	s.mu.Lock()
	s.relays[rl] = struct{}{}
	s.mu.Unlock()
	if p.streamOpened != nil {
		p.streamOpened(b.gen)
	}
	h := up.Header.Clone()
	setSessionHeader(h, s.id)
	go rl.run(ctx, b, up, upCancel)
	resp := synthResponse(req, http.StatusOK, h, nil)
	resp.Body, resp.ContentLength = pr, -1
	return resp, nil
}

var errClientGone = errors.New("client went away")

func (rl *relay) run(ctx context.Context, b *Backend, up *http.Response, upCancel context.CancelFunc) {
	defer func() {
		rl.s.mu.Lock()
		delete(rl.s.relays, rl)
		rl.s.mu.Unlock()
	}()
	for {
		err := rl.pump(ctx, b, up)
		upCancel()
		if err != nil {
			rl.pw.CloseWithError(err)
			return
		}
		b, up, upCancel, err = rl.reconnect(ctx)
		if err != nil {
			// Ending the stream makes the client reconnect it, which then goes through
			// RoundTrip and gets the server's own answer.
			rl.pw.Close()
			return
		}
	}
}

// pump copies events from up to the client until up ends or b stops being current. A nil
// error means: move to the next generation.
func (rl *relay) pump(ctx context.Context, b *Backend, up *http.Response) error {
	events := make(chan []byte)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(events)
		defer up.Body.Close()
		er := mcpwire.NewEventReader(up.Body, 16<<20)
		for {
			ev, err := er.Next()
			if len(ev.Raw) > 0 {
				select {
				case events <- ev.Raw:
				case <-stop:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return nil
			}
			if _, err := rl.pw.Write(ev); err != nil {
				return errClientGone
			}
		case <-rl.inject:
			if _, err := io.WriteString(rl.pw, toolsChangedEvent); err != nil {
				return errClientGone
			}
		case <-b.superseded:
			return nil
		case <-ctx.Done():
			return errClientGone
		}
	}
}

// reconnect opens the upstream half on the current generation, carrying the session over
// if needed. It waits as long as the client stays connected.
func (rl *relay) reconnect(ctx context.Context) (*Backend, *http.Response, context.CancelFunc, error) {
	failures := 0
	for {
		rl.s.mu.Lock()
		deleted := rl.s.deleted
		rl.s.mu.Unlock()
		if deleted {
			return nil, nil, nil, errors.New("session was deleted")
		}
		b, err := rl.p.waitCurrent(ctx)
		if err != nil {
			return nil, nil, nil, err
		}
		id, resp, err := rl.p.ensure(ctx, rl.s, b)
		if resp != nil {
			resp.Body.Close()
			err = fmt.Errorf("server answered %s", resp.Status)
		}
		if err == nil {
			upCtx, cancel := context.WithCancel(ctx)
			req, _ := http.NewRequestWithContext(upCtx, http.MethodGet, "http://"+b.addr+rl.s.path, nil)
			req.Header = rl.s.replayHeader(id)
			req.Header.Set("Accept", "text/event-stream")
			up, rerr := b.tr.RoundTrip(req)
			if rerr == nil && up.StatusCode == http.StatusOK {
				if rl.p.streamOpened != nil {
					rl.p.streamOpened(b.gen)
				}
				return b, up, cancel, nil
			}
			if rerr == nil {
				up.Body.Close()
				rerr = fmt.Errorf("GET stream answered %s", up.Status)
			}
			cancel()
			err = rerr
		}
		if failures++; failures >= 3 || ctx.Err() != nil {
			return nil, nil, nil, err
		}
		rl.p.awaitChange(ctx, b, 250*time.Millisecond)
	}
}

// waitCurrent waits without bound (but for ctx) for a current generation.
func (p *Proxy) waitCurrent(ctx context.Context) (*Backend, error) {
	for {
		p.mu.Lock()
		b, changed := p.cur, p.changed
		p.mu.Unlock()
		if b != nil {
			return b, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
