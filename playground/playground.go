// Package playground is the browser page `mcpctl dev` serves under /_mcpctl/ on the dev
// address: the server's tools with forms generated from their input schemas, calls with
// the result as the model sees it (progress, timing, the raw JSON-RPC), and, pushed live,
// the request log, build state, compile errors, the last crash and the tool-surface diff
// after each reload.
//
// The page never holds a credential: it talks to mcpctl, which calls the dev server with
// the project's key. Every request needs the per-run token from the link, a loopback Host
// of the dev address and, when the browser sends one, the same Origin; there is no CORS,
// so no other page or local process can drive it.
package playground

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mcpctl/mcpctl/runner"
	"github.com/mcpctl/mcpctl/toolsurface"
)

// Prefix is the URL path the playground is served under.
const Prefix = "/_mcpctl/"

//go:embed web
var web embed.FS

const (
	maxRequests = 200
	maxSurfaces = 20
)

// Options configure a playground.
type Options struct {
	// Token is the secret every request must carry; a random one when empty.
	Token string
	// OnSurface is called (from its own goroutine) with each new tool list and its diff
	// from the one before, so the terminal views can show it too.
	OnSurface func(Surface)
	// HTTPClient carries the calls to the dev server (default: a fresh client).
	HTTPClient *http.Client
}

// Surface is the tool list of a generation and how it differs from the previous one.
type Surface struct {
	Time  time.Time          `json:"time"`
	Gen   int                `json:"gen"`
	First bool               `json:"first"` // the first list of this run: Diff is empty
	Tools []toolsurface.Tool `json:"tools"`
	Diff  toolsurface.Diff   `json:"diff"`
	Error string             `json:"error,omitempty"` // the list could not be fetched
}

// Server is a playground. Create it with New, serve Handler under Prefix, tell it the dev
// address with SetAddr and feed it every runner event with Observe.
type Server struct {
	token     string
	onSurface func(Surface)
	client    *http.Client
	index     *template.Template
	static    fs.FS

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	addr      string // dev proxy address, 127.0.0.1:port
	status    Status
	children  map[int]runner.ChildStarted
	requests  []runner.Request
	surfaces  []Surface
	lastTools []toolsurface.Tool
	haveTools bool
	surfGen   int // newest generation whose list was taken
	subs      map[chan []byte]struct{}
}

// Status is the dev loop's state as the page shows it.
type Status struct {
	State     string                `json:"state"` // building, starting, running, build failed, start failed, crashed
	Gen       int                   `json:"gen"`
	Serving   int                   `json:"serving"` // generation serving, 0 for none
	URL       string                `json:"url"`
	AuthMode  string                `json:"authMode"`
	AuthNote  string                `json:"authNote"` // what the page can do about auth
	Build     *BuildInfo            `json:"build,omitempty"`
	Errors    []runner.CompileError `json:"errors,omitempty"`
	Output    string                `json:"output,omitempty"` // build output without parsed errors
	Notices   []string              `json:"notices,omitempty"`
	Crash     *Crash                `json:"crash,omitempty"`
	StartFail string                `json:"startFail,omitempty"`
	Reloads   int                   `json:"reloads"`
}

// BuildInfo is the last finished build.
type BuildInfo struct {
	Gen        int   `json:"gen"`
	OK         bool  `json:"ok"`
	DurationMS int64 `json:"durationMs"`
}

// Crash is the last process that ended on its own.
type Crash struct {
	Time   time.Time `json:"time"`
	Gen    int       `json:"gen"`
	Status string    `json:"status"`
	Tail   []string  `json:"tail"`
}

// New returns a playground.
func New(opts Options) (*Server, error) {
	token := opts.Token
	if token == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		token = hex.EncodeToString(b)
	}
	static, err := fs.Sub(web, "web")
	if err != nil {
		return nil, err
	}
	index, err := template.ParseFS(static, "index.html")
	if err != nil {
		return nil, err
	}
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		token: token, onSurface: opts.OnSurface, client: client, index: index, static: static,
		ctx: ctx, cancel: cancel,
		status:   Status{State: "starting"},
		children: map[int]runner.ChildStarted{},
		subs:     map[chan []byte]struct{}{},
	}, nil
}

// SetAddr tells the playground the dev address (runner.Runner.Addr): the only Host it
// answers to, and the address its link names.
func (s *Server) SetAddr(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addr = addr
}

// URL is the link that opens the playground, token included.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "http://" + s.addr + Prefix + "?token=" + url.QueryEscape(s.token)
}

// Close stops the work in flight (tool-list fetches) and ends the event streams.
func (s *Server) Close() {
	s.cancel()
	s.wg.Wait()
}

// Observe records one runner event and pushes what changed to the open pages.
func (s *Server) Observe(ev runner.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.status
	switch ev := ev.(type) {
	case runner.Listening:
		st.URL = ev.URL
	case runner.BuildStarted:
		st.State, st.Gen = "building", ev.Gen
	case runner.BuildSucceeded:
		st.State, st.Gen = "starting", ev.Gen
		st.Build = &BuildInfo{Gen: ev.Gen, OK: true, DurationMS: ev.Duration.Milliseconds()}
		st.Errors, st.Output, st.Notices = nil, "", ev.Notices
	case runner.BuildFailed:
		st.State, st.Gen = "build failed", ev.Gen
		st.Build = &BuildInfo{Gen: ev.Gen, OK: false, DurationMS: ev.Duration.Milliseconds()}
		st.Errors, st.Output = ev.Errors, ""
		if len(ev.Errors) == 0 {
			st.Output = ev.Output
		}
	case runner.ChildStarted:
		s.children[ev.Gen] = ev
		st.State, st.Gen, st.URL = "starting", ev.Gen, ev.URL
		st.AuthMode, st.AuthNote = ev.Auth.Mode, authNote(ev.Auth)
	case runner.Ready:
		st.State, st.Gen, st.Serving, st.Reloads = "running", ev.Gen, ev.Gen, ev.Reloads
		st.StartFail = ""
		if c, ok := s.children[ev.Gen]; ok {
			s.fetchSurface(ev.Gen, c)
		}
		for g := range s.children {
			if g < ev.Gen {
				delete(s.children, g)
			}
		}
	case runner.ChildExited:
		if !ev.Crashed {
			return
		}
		st.Crash = &Crash{Time: ev.Time, Gen: ev.Gen, Status: ev.Status, Tail: ev.StderrTail}
		if ev.Gen == st.Serving {
			st.State, st.Gen, st.Serving = "crashed", ev.Gen, 0
		}
	case runner.StartFailed:
		st.StartFail = ev.Err.Error()
		if ev.Serving > 0 {
			st.State, st.Gen = "running", ev.Serving
		} else {
			st.State, st.Gen = "start failed", ev.Gen
		}
	case runner.Request:
		s.requests = append(s.requests, ev)
		if len(s.requests) > maxRequests {
			s.requests = s.requests[len(s.requests)-maxRequests:]
		}
		s.broadcast("request", requestJSON(ev))
		return
	case runner.Error:
		st.Notices = append(st.Notices, ev.Err.Error())
	default:
		return
	}
	s.broadcast("status", s.status)
}

func authNote(a runner.Auth) string {
	switch a.Mode {
	case "apikey":
		if a.Value == "" {
			return "no key is set (MCP_API_KEY in .env): calls will be refused"
		}
		return "mcpctl sends the key from .env; the page never sees it"
	case "oauth":
		return "OAuth: paste an access token for this page session (it is sent to mcpctl only, kept in this tab)"
	case "none":
		return "no authentication"
	}
	return ""
}

// fetchSurface lists the tools of generation gen straight from its process (so the dev
// request log stays the user's) and diffs them with the previous list. Called with mu held.
func (s *Server) fetchSurface(gen int, c runner.ChildStarted) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return
	}
	endpoint := "http://" + c.Addr + u.Path
	header := http.Header{}
	if c.Auth.Header != "" && c.Auth.Value != "" {
		header.Set(c.Auth.Header, c.Auth.Value)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
		defer cancel()
		tools, err := toolsurface.Fetch(ctx, endpoint, header, s.client)
		if s.ctx.Err() != nil {
			return
		}
		s.mu.Lock()
		if gen <= s.surfGen {
			s.mu.Unlock()
			return // a newer generation's list is already in
		}
		sf := Surface{Time: time.Now(), Gen: gen}
		if err != nil {
			sf.Error = "could not list the tools: " + err.Error()
			if c.Auth.Mode == "oauth" {
				sf.Error = "the tools of an OAuth server are listed once you paste a token"
			}
		} else {
			s.surfGen = gen
			sf.Tools = tools
			sf.First = !s.haveTools
			sf.Diff = toolsurface.Compare(s.lastTools, tools)
			if sf.First {
				sf.Diff = toolsurface.Compare(tools, tools)
			}
			s.lastTools, s.haveTools = tools, true
		}
		s.surfaces = append(s.surfaces, sf)
		if len(s.surfaces) > maxSurfaces {
			s.surfaces = s.surfaces[len(s.surfaces)-maxSurfaces:]
		}
		s.broadcast("surface", sf)
		on := s.onSurface
		s.mu.Unlock()
		if on != nil {
			on(sf)
		}
	}()
}

type requestView struct {
	Time       time.Time `json:"time"`
	HTTPMethod string    `json:"httpMethod"`
	Path       string    `json:"path"`
	RPCMethod  string    `json:"rpcMethod,omitempty"`
	Tool       string    `json:"tool,omitempty"`
	Status     int       `json:"status"`
	DurationMS float64   `json:"durationMs"`
	Gen        int       `json:"gen"`
}

func requestJSON(r runner.Request) requestView {
	return requestView{Time: r.Time, HTTPMethod: r.HTTPMethod, Path: r.Path, RPCMethod: r.RPCMethod, Tool: r.Tool,
		Status: r.Status, DurationMS: float64(r.Duration.Microseconds()) / 1000, Gen: r.Gen}
}

// broadcast sends one server-sent event to every open page. Called with mu held. A page
// that does not keep up is dropped (it reconnects and gets a fresh snapshot).
func (s *Server) broadcast(event string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	msg := []byte("event: " + event + "\ndata: " + string(data) + "\n\n")
	for ch := range s.subs {
		select {
		case ch <- msg:
		default:
			delete(s.subs, ch)
			close(ch)
		}
	}
}

// allowedHost reports whether host (a Host header) names the dev address over loopback.
func (s *Server) allowedHost(host string) bool {
	s.mu.Lock()
	addr := s.addr
	s.mu.Unlock()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	for _, h := range []string{"127.0.0.1", "localhost", "[::1]"} {
		if strings.EqualFold(host, h+":"+port) {
			return true
		}
	}
	return false
}

func (s *Server) tokenOK(r *http.Request) bool {
	t := r.Header.Get("X-Mcpctl-Token")
	if t == "" {
		t = r.URL.Query().Get("token")
	}
	return subtle.ConstantTimeCompare([]byte(t), []byte(s.token)) == 1
}
