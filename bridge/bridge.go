// Package bridge connects a stdio MCP client (Claude Desktop, or anything that can only
// start a command) to a remote server speaking the Streamable HTTP transport.
//
// It works at the JSON-RPC message level with go-sdk's own transports on both sides
// (mcp.IOTransport for stdio, mcp.StreamableClientTransport for HTTP), so every request,
// response and notification passes through unchanged, including methods the bridge has
// never heard of. It interprets only what the HTTP side needs: the negotiated protocol
// version (sent as a header) and the session's standalone event stream.
package bridge

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpctl/mcpctl/internal/mcpwire"
)

// DefaultShutdownGrace bounds how long the bridge keeps waiting, after its stdin closed,
// for answers to requests it had already forwarded.
const DefaultShutdownGrace = 5 * time.Second

// Bridge forwards one stdio session to one Streamable HTTP endpoint. The zero value is not
// usable: URL is required.
type Bridge struct {
	// URL is the server's MCP endpoint, e.g. https://example.com/mcp.
	URL string
	// Header is added to every request sent to URL's host (never to a redirect elsewhere).
	Header http.Header
	// HTTPClient is the client whose Transport the bridge wraps; nil means a plain one.
	// Its Timeout must be zero: event streams stay open for as long as a session lives.
	HTTPClient *http.Client
	// Logger receives diagnostics (stdout belongs to the protocol); nil discards them.
	Logger *slog.Logger
	// AuthHint is appended to the error a client sees when the server answers 401 or 403,
	// e.g. "check MCP_API_KEY in /path/.env".
	AuthHint string
	// ShutdownGrace overrides DefaultShutdownGrace; negative means don't wait.
	ShutdownGrace time.Duration
}

// Run bridges stdin/stdout to the server at endpoint, sending header with every request,
// until stdin reaches EOF, the server ends the session, or ctx is done.
func Run(ctx context.Context, endpoint string, header http.Header, stdin io.Reader, stdout io.Writer) error {
	return (&Bridge{URL: endpoint, Header: header}).Run(ctx, stdin, stdout)
}

// Run forwards messages between stdin/stdout and b.URL. It returns nil after a clean
// shutdown (stdin closed) and an error when the remote side failed.
func (b *Bridge) Run(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	target, err := checkURL(b.URL, len(b.Header) > 0)
	if err != nil {
		return err
	}
	log := b.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	grace := b.ShutdownGrace
	if grace == 0 {
		grace = DefaultShutdownGrace
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	s := &session{
		url:      b.URL,
		log:      log,
		authHint: b.AuthHint,
		rejected: rejectionText(b.Header),
		pending:  map[jsonrpc.ID]string{},
		settled:  make(chan struct{}, 1),
	}
	s.answered = sync.NewCond(&s.mu)
	s.client = b.client(target, s)

	rc, ok := stdin.(io.ReadCloser)
	if !ok {
		rc = io.NopCloser(stdin)
	}
	// Closing the bridge must not close the caller's stdout.
	local, err := (&mcp.IOTransport{Reader: rc, Writer: nopWriteCloser{stdout}}).Connect(ctx)
	if err != nil {
		return fmt.Errorf("bridge: opening stdio: %w", err)
	}
	remote, err := (&mcp.StreamableClientTransport{
		Endpoint:   b.URL,
		HTTPClient: s.client,
		// The SDK opens the standalone stream only for its own mcp.Client; the bridge
		// runs that stream itself (see listen), so keep the transport from trying.
		DisableStandaloneSSE: true,
	}).Connect(ctx)
	if err != nil {
		local.Close()
		return fmt.Errorf("bridge: opening %s: %w", b.URL, err)
	}
	s.local, s.remote = local, remote

	upDone := make(chan error, 1)
	downDone := make(chan error, 1)
	go func() { upDone <- s.upstream(ctx) }()
	go func() { downDone <- s.downstream(ctx) }()

	var result error
	select {
	case err := <-upDone:
		upDone <- err // re-arm for the final wait below
		if err != nil {
			result = err
			s.failPending(err)
			break
		}
		// stdin closed: the client is done. Answers to requests already sent may still
		// be on their way; deliver them if they come soon.
		if err := s.drain(ctx, grace, downDone); err != nil {
			result = err
		}
	case err := <-downDone:
		downDone <- err
		if err != nil {
			result = err
			s.failPending(err)
		}
	case <-ctx.Done():
		result = ctx.Err()
	}

	// Answers already claimed (a forward that failed writes its own error answer) go out
	// before stdout closes.
	s.waitAnswering()
	cancel()
	if err := remote.Close(); err != nil { // ends the session on the server (DELETE)
		log.Debug("closing the HTTP session", "err", err)
	}
	local.Close()
	upErr, downErr := <-upDone, <-downDone
	s.wg.Wait()
	// A server failure that raced with stdin's EOF still makes the run a failure, and so
	// does a refused key, however the client took the error answers it got.
	if result == nil {
		result = cmp.Or(downErr, upErr)
	}
	if result == nil && s.authFailed.Load() {
		result = errors.New(s.rejected)
		if s.authHint != "" {
			result = fmt.Errorf("%w (%s)", result, s.authHint)
		}
	}
	if result != nil {
		return fmt.Errorf("bridge: %w", result)
	}
	return nil
}

// client wraps the configured HTTP client so that every request to the target carries
// the configured headers and the negotiated protocol version.
func (b *Bridge) client(target *url.URL, s *session) *http.Client {
	c := &http.Client{}
	if b.HTTPClient != nil {
		*c = *b.HTTPClient
	}
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = &headerTransport{
		base:    base,
		scheme:  target.Scheme,
		host:    target.Host,
		header:  b.Header.Clone(),
		version: s.protocolVersion,
		onStatus: func(code int) {
			if code == http.StatusUnauthorized || code == http.StatusForbidden {
				s.authFailed.Store(true)
			}
		},
	}
	return c
}

// checkURL accepts http and https URLs; credentials are never sent in clear text to a
// host that isn't this machine.
func checkURL(raw string, withCredentials bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("bridge: invalid URL %q: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("bridge: %q is not an http(s) URL (want e.g. https://example.com/mcp)", raw)
	}
	if u.Scheme == "http" && withCredentials && !mcpwire.IsLoopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("bridge: refusing to send credentials over plain http to %s; use the https URL", u.Host)
	}
	return u, nil
}

// session is the state of one Run.
type session struct {
	url      string
	log      *slog.Logger
	authHint string
	client   *http.Client
	local    mcp.Connection
	remote   mcp.Connection

	mu       sync.Mutex
	pending  map[jsonrpc.ID]string // forwarded calls awaiting an answer → method
	version  string                // protocol version negotiated by initialize
	listened bool                  // the standalone stream was started
	settled  chan struct{}         // poked whenever a pending call is answered

	authFailed atomic.Bool // the server answered 401 or 403
	rejected   string      // what a 401 or 403 means, given the credentials sent

	wg sync.WaitGroup // in-flight forwards and the standalone stream
	// answering counts answers taken off pending but not yet written to stdout, so that
	// the run does not end between the two. (A WaitGroup would be wrong here: answers are
	// claimed while others wait.) answered is signalled, under mu, when it drops.
	answering int
	answered  *sync.Cond
}

func (s *session) protocolVersion() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// upstream forwards messages from stdin to the server until stdin ends.
func (s *session) upstream(ctx context.Context) error {
	for {
		msg, err := s.local.Read(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("reading a message from stdin: %w", err)
		}
		req, ok := msg.(*jsonrpc.Request)
		switch {
		case ok && req.IsCall() && req.Method == methodInitialize:
			// The session id arrives with initialize's response headers and every later
			// request must carry it and the negotiated version, so nothing may overtake
			// initialize: not its sending, nor the reading of its answer.
			s.track(req)
			s.forward(ctx, msg)
			s.awaitAnswer(ctx, req.ID, initializeBound)
		case ok && req.IsCall():
			// A call can take as long as its tool runs (a JSON response comes back only
			// when it's done); don't let it hold up the messages behind it, such as a
			// notifications/cancelled for it.
			s.track(req)
			s.wg.Go(func() { s.forward(ctx, msg) })
		default:
			// Notifications and responses are acknowledged at once (202); sending them in
			// order keeps notifications/initialized behind initialize.
			s.forward(ctx, msg)
		}
	}
}

// downstream forwards messages from the server to stdout until the session ends.
func (s *session) downstream(ctx context.Context) error {
	for {
		msg, err := s.remote.Read(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("reading from %s: %w", s.url, err)
		}
		claimed := false
		if resp, ok := msg.(*jsonrpc.Response); ok {
			claimed = s.settle(ctx, resp)
		}
		err = s.local.Write(ctx, msg)
		if claimed {
			s.doneAnswering()
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("writing a message to stdout: %w", err)
		}
	}
}

// forward sends one message to the server. A call that cannot be delivered is answered
// with an error right away, so the client is not left waiting for a response that will
// never come.
func (s *session) forward(ctx context.Context, msg jsonrpc.Message) {
	err := s.remote.Write(ctx, msg)
	if err == nil || ctx.Err() != nil {
		return
	}
	req, ok := msg.(*jsonrpc.Request)
	if !ok || !req.IsCall() {
		s.log.Warn("forwarding a message to the server failed", "err", err)
		return
	}
	if !s.untrack(req.ID) {
		return // already answered
	}
	defer s.doneAnswering()
	resp := &jsonrpc.Response{ID: req.ID, Error: s.wireError(err)}
	if err := s.local.Write(ctx, resp); err != nil {
		s.log.Warn("writing an error response to stdout failed", "err", err)
	}
}

// wireError turns a transport failure into the JSON-RPC error the client sees: the
// server's own error when it sent one, else an internal error saying what went wrong.
func (s *session) wireError(err error) *jsonrpc.Error {
	var werr *jsonrpc.Error
	if errors.As(err, &werr) && !isTransportRejection(werr) {
		return werr
	}
	msg := "mcpctl bridge: " + err.Error()
	if s.authFailed.Load() {
		msg += " (" + s.rejected
		if s.authHint != "" {
			msg += "; " + s.authHint
		}
		msg += ")"
	}
	return &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: msg}
}

// isTransportRejection recognises go-sdk's marker for "the request never reached the
// server", which is itself a JSON-RPC error but says nothing useful to the client.
func isTransportRejection(e *jsonrpc.Error) bool {
	return e.Code == -32005 && e.Message == "rejected by transport"
}

func (s *session) track(req *jsonrpc.Request) {
	s.mu.Lock()
	s.pending[req.ID] = req.Method
	s.mu.Unlock()
}

func (s *session) untrack(id jsonrpc.ID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.pending[id]; !ok {
		return false
	}
	delete(s.pending, id)
	s.answering++
	s.poke()
	return true
}

// doneAnswering records that a claimed answer has been written.
func (s *session) doneAnswering() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answering--
	s.answered.Broadcast()
}

// waitAnswering blocks until every claimed answer has been written.
func (s *session) waitAnswering() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.answering > 0 {
		s.answered.Wait()
	}
}

// initializeBound is how long later messages wait for initialize's answer.
const initializeBound = 30 * time.Second

// awaitAnswer blocks until the call id has been answered, ctx ends or bound passes.
func (s *session) awaitAnswer(ctx context.Context, id jsonrpc.ID, bound time.Duration) {
	timer := time.NewTimer(bound)
	defer timer.Stop()
	for {
		s.mu.Lock()
		_, waiting := s.pending[id]
		s.mu.Unlock()
		if !waiting {
			return
		}
		select {
		case <-s.settled:
		case <-ctx.Done():
			return
		case <-timer.C:
			return
		}
	}
}

// poke signals drain without blocking; callers hold s.mu.
func (s *session) poke() {
	select {
	case s.settled <- struct{}{}:
	default:
	}
}

const (
	methodInitialize = "initialize"
	// From this revision on there is no standalone GET stream (SEP-2575).
	versionWithoutStandaloneStream = "2026-07-28"
)

// settle records the answer to a forwarded call. The answer to initialize fixes the
// protocol version and, for a stateful session, starts the standalone stream.
//
// It reports whether the answer was awaited; the caller then owes doneAnswering once the
// answer is written.
func (s *session) settle(ctx context.Context, resp *jsonrpc.Response) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	method, ok := s.pending[resp.ID]
	if !ok {
		return false
	}
	delete(s.pending, resp.ID)
	s.answering++
	s.poke()
	if method != methodInitialize || resp.Error != nil {
		return true
	}
	var result struct {
		ProtocolVersion string `json:"protocolVersion"`
	}
	if err := json.Unmarshal(resp.Result, &result); err != nil || result.ProtocolVersion == "" {
		return true
	}
	s.version = result.ProtocolVersion
	id := s.remote.SessionID()
	if id == "" || s.listened || s.version >= versionWithoutStandaloneStream {
		return true // stateless servers have no standalone stream
	}
	s.listened = true
	s.wg.Go(func() { s.listen(ctx, id) })
	return true
}

// failPending answers every call still waiting, after the server side broke.
func (s *session) failPending(cause error) {
	s.mu.Lock()
	ids := make([]jsonrpc.ID, 0, len(s.pending))
	for id := range s.pending {
		ids = append(ids, id)
	}
	clear(s.pending)
	s.mu.Unlock()
	werr := s.wireError(cause)
	for _, id := range ids {
		// A fresh context: the run's may already be done, and this is the last word.
		if err := s.local.Write(context.Background(), &jsonrpc.Response{ID: id, Error: werr}); err != nil {
			return
		}
	}
}

// drain waits, after stdin closed, until every forwarded call was answered, the server
// side ended, or grace ran out.
func (s *session) drain(ctx context.Context, grace time.Duration, downDone chan error) error {
	if grace < 0 {
		return nil
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	for {
		s.mu.Lock()
		n := len(s.pending)
		s.mu.Unlock()
		if n == 0 {
			s.waitAnswering()
			return nil
		}
		select {
		case <-s.settled:
		case err := <-downDone:
			downDone <- err
			return err
		case <-timer.C:
			s.log.Warn("stdin closed; giving up on unanswered requests", "count", n)
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

// nopWriteCloser keeps the bridge from closing a stdout it does not own.
type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// rejectionText says what a 401 or 403 means: a credential was refused, or the server
// wants one and none was sent.
func rejectionText(h http.Header) string {
	if h.Get(APIKeyHeaderName) == "" && h.Get("Authorization") == "" {
		return "the server requires credentials, and none were sent"
	}
	return "the server rejected the credentials"
}
