package bridge

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcpctl/mcpctl/internal/mcpwire"
)

const (
	// maxEventSize matches go-sdk's default cap on one server-sent event.
	maxEventSize = 16 << 20
	// listenAttempts bounds reconnects of the standalone stream that bring nothing new.
	listenAttempts = 5
	listenMaxDelay = 30 * time.Second
)

// listen keeps the session's standalone stream (HTTP GET) open and forwards what the
// server sends on it: notifications and requests that belong to no client request, such
// as notifications/tools/list_changed. go-sdk opens this stream only from its own
// mcp.Client (through an unexported hook), so the bridge does it here.
func (s *session) listen(ctx context.Context, sessionID string) {
	var lastEventID string
	failures := 0
	for ctx.Err() == nil {
		progressed, stop := s.listenOnce(ctx, sessionID, &lastEventID)
		if stop || ctx.Err() != nil {
			return
		}
		if progressed {
			failures = 0
		}
		failures++
		if failures > listenAttempts {
			s.log.Warn("the server's event stream keeps failing; server-initiated notifications will be missed")
			return
		}
		delay := min(time.Second<<(failures-1), listenMaxDelay)
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}

// listenOnce makes one GET and reads its events until the stream ends. stop means the
// server does not offer the stream (405) or the session is gone, so retrying is useless.
func (s *session) listenOnce(ctx context.Context, sessionID string, lastEventID *string) (progressed, stop bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return false, true
	}
	req.Header.Set("Accept", mcpwire.MediaSSE)
	req.Header.Set(mcpwire.HeaderSessionID, sessionID)
	if *lastEventID != "" {
		req.Header.Set(mcpwire.HeaderLastEventID, *lastEventID)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.log.Debug("opening the event stream", "err", err)
		return false, false
	}
	defer resp.Body.Close()
	mediaType := mcpwire.MediaType(resp.Header.Get("Content-Type"))
	switch {
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		// 405: no standalone stream on this server; 404: the session ended. Both are
		// final, and neither stops the request/response traffic.
		s.log.Debug("the server offers no event stream", "status", resp.StatusCode)
		return false, true
	case resp.StatusCode != http.StatusOK || mediaType != mcpwire.MediaSSE:
		s.log.Debug("unexpected answer to the event stream request", "status", resp.StatusCode, "type", mediaType)
		return false, false
	}
	return s.readEvents(ctx, resp.Body, lastEventID), false
}

// readEvents reads a text/event-stream body and writes each message event to stdout. It
// reports whether anything arrived.
func (s *session) readEvents(ctx context.Context, body io.Reader, lastEventID *string) bool {
	r := mcpwire.NewEventReader(body, maxEventSize)
	progressed := false
	for {
		ev, err := r.Next()
		if ev.HasID {
			*lastEventID = ev.ID
		}
		progressed = progressed || ev.HasID || ev.HasData
		if err != nil {
			return progressed // an unfinished event is not passed on
		}
		if !ev.IsMessage() || len(ev.Data) == 0 {
			continue
		}
		msg, err := jsonrpc.DecodeMessage(ev.Data)
		if err != nil {
			s.log.Warn("dropping an undecodable event from the server", "err", err)
			continue
		}
		if err := s.local.Write(ctx, msg); err != nil {
			s.log.Debug("writing an event to stdout", "err", err)
		}
	}
}
