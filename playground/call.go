package playground

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpctl/mcpctl/internal/mcpwire"
	"github.com/mcpctl/mcpctl/runner"
)

const maxCallBody = 1 << 20

type callRequest struct {
	Tool      string          `json:"tool"`
	Arguments json.RawMessage `json:"arguments"`
	// Bearer is an OAuth access token the user pasted (OAuth projects only).
	Bearer string `json:"bearer"`
}

// callLine is one line of the NDJSON answer to a call: progress lines, then the result.
type callLine struct {
	Type string `json:"type"` // "progress" or "result"

	Progress float64 `json:"progress,omitempty"`
	Total    float64 `json:"total,omitempty"`
	Message  string  `json:"message,omitempty"`
	AtMS     float64 `json:"atMs,omitempty"` // since the call was sent

	Result     *mcp.CallToolResult `json:"result,omitempty"`
	Error      string              `json:"error,omitempty"` // a protocol or transport error
	DurationMS float64             `json:"durationMs,omitempty"`
	ConnectMS  float64             `json:"connectMs,omitempty"`
	Request    json.RawMessage     `json:"request,omitempty"`  // the raw tools/call request
	Response   []json.RawMessage   `json:"response,omitempty"` // every message of its answer
}

// serveCall calls a tool on the dev server with the project's credentials and streams
// progress notifications and the result back as NDJSON.
func (s *Server) serveCall(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		http.Error(w, "want Content-Type: application/json", http.StatusUnsupportedMediaType)
		return
	}
	var req callRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, maxCallBody)).Decode(&req); err != nil || req.Tool == "" {
		http.Error(w, `want {"tool": NAME, "arguments": {...}}`, http.StatusBadRequest)
		return
	}
	var args map[string]any
	if len(bytes.TrimSpace(req.Arguments)) > 0 {
		if err := json.Unmarshal(req.Arguments, &args); err != nil || args == nil {
			http.Error(w, "arguments must be a JSON object", http.StatusBadRequest)
			return
		}
	}
	s.mu.Lock()
	endpoint := s.status.URL
	var auth runner.Auth
	if c, ok := s.children[s.status.Serving]; ok {
		auth = c.Auth
	} else {
		for _, c := range s.children {
			auth = c.Auth
		}
	}
	s.mu.Unlock()
	header := http.Header{}
	switch {
	case req.Bearer != "":
		header.Set("Authorization", "Bearer "+req.Bearer)
	case auth.Header != "" && auth.Value != "":
		header.Set(auth.Header, auth.Value)
	}

	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("X-Accel-Buffering", "no")
	flusher, _ := w.(http.Flusher)
	var wmu sync.Mutex
	send := func(l callLine) {
		wmu.Lock()
		defer wmu.Unlock()
		b, _ := json.Marshal(l)
		w.Write(append(b, '\n'))
		if flusher != nil {
			flusher.Flush()
		}
	}
	send(s.call(r.Context(), endpoint, header, req.Tool, args, send))
}

func (s *Server) call(ctx context.Context, endpoint string, header http.Header, tool string, args map[string]any, send func(callLine)) callLine {
	rec := &recorder{base: s.client.Transport, header: header}
	if rec.base == nil {
		rec.base = http.DefaultTransport
	}
	var sent time.Time
	var smu sync.Mutex
	client := mcp.NewClient(&mcp.Implementation{Name: "mcpctl-playground", Version: "dev"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, p *mcp.ProgressNotificationClientRequest) {
			smu.Lock()
			at := time.Since(sent)
			smu.Unlock()
			send(callLine{Type: "progress", Progress: p.Params.Progress, Total: p.Params.Total, Message: p.Params.Message,
				AtMS: ms(at)})
		},
	})
	start := time.Now()
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: &http.Client{Transport: rec}, MaxRetries: 1, DisableStandaloneSSE: true}, nil)
	if err != nil {
		return callLine{Type: "result", Error: fmt.Sprintf("connecting to %s: %v", endpoint, err)}
	}
	defer cs.Close()
	connect := time.Since(start)
	params := &mcp.CallToolParams{Name: tool, Arguments: args}
	params.SetProgressToken("mcpctl-playground")
	smu.Lock()
	sent = time.Now()
	smu.Unlock()
	res, err := cs.CallTool(ctx, params)
	line := callLine{Type: "result", Result: res, DurationMS: ms(time.Since(sent)), ConnectMS: ms(connect)}
	if err != nil {
		line.Error = err.Error()
	}
	line.Request, line.Response = rec.exchange()
	return line
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// recorder adds the credentials and keeps the raw tools/call request and every message
// of its answer (an event stream or one JSON body).
type recorder struct {
	base   http.RoundTripper
	header http.Header

	mu       sync.Mutex
	request  json.RawMessage
	response *bytes.Buffer
}

func (t *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range t.header {
		r.Header[k] = v
	}
	var isCall bool
	if r.Body != nil && r.Method == http.MethodPost {
		body, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		var m struct {
			Method string `json:"method"`
		}
		if json.Unmarshal(body, &m) == nil && m.Method == "tools/call" {
			isCall = true
			t.mu.Lock()
			t.request = body
			t.response = &bytes.Buffer{}
			t.mu.Unlock()
		}
	}
	resp, err := t.base.RoundTrip(r)
	if err != nil || !isCall {
		return resp, err
	}
	resp.Body = &teeBody{ReadCloser: resp.Body, t: t}
	return resp, nil
}

type teeBody struct {
	io.ReadCloser
	t *recorder
}

func (b *teeBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.t.mu.Lock()
	b.t.response.Write(p[:n])
	b.t.mu.Unlock()
	return n, err
}

func (t *recorder) exchange() (json.RawMessage, []json.RawMessage) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.response == nil {
		return t.request, nil
	}
	return t.request, messages(t.response.Bytes())
}

// messages splits an answer body into its JSON-RPC messages.
func messages(body []byte) []json.RawMessage {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil
	}
	if body[0] == '{' || body[0] == '[' {
		return []json.RawMessage{body}
	}
	var out []json.RawMessage
	r := mcpwire.NewEventReader(bytes.NewReader(body), 16<<20)
	for {
		ev, err := r.Next()
		if len(ev.Data) > 0 && json.Valid(ev.Data) {
			out = append(out, json.RawMessage(ev.Data))
		}
		if err != nil {
			return out
		}
	}
}
