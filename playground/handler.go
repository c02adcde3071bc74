package playground

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/mcpctl/mcpctl/internal/mcpwire"
)

// Handler serves the playground; mount it under Prefix on the dev address.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Prefix+"{$}", s.serveIndex)
	mux.HandleFunc("GET "+Prefix+"app.js", s.serveStatic("app.js", "text/javascript; charset=utf-8"))
	mux.HandleFunc("GET "+Prefix+"style.css", s.serveStatic("style.css", "text/css; charset=utf-8"))
	mux.HandleFunc("GET "+Prefix+"api/state", s.serveState)
	mux.HandleFunc("GET "+Prefix+"api/events", s.serveEvents)
	mux.HandleFunc("POST "+Prefix+"api/call", s.serveCall)
	return s.guard(mux)
}

// guard refuses every request that does not come from the page mcpctl linked to: a
// foreign Host (DNS rebinding), a cross-origin caller (Origin, Sec-Fetch-Site), a missing
// or wrong token. No CORS headers are ever sent, so preflights fail too.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; media-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		switch {
		case !s.allowedHost(r.Host):
			http.Error(w, "mcpctl playground: refused: Host "+r.Host+" is not the dev address", http.StatusForbidden)
		case r.Header.Get("Origin") != "" && !strings.EqualFold(r.Header.Get("Origin"), "http://"+r.Host):
			http.Error(w, "mcpctl playground: refused: cross-origin request", http.StatusForbidden)
		case r.Header.Get("Sec-Fetch-Site") != "" && r.Header.Get("Sec-Fetch-Site") != "same-origin" && r.Header.Get("Sec-Fetch-Site") != "none":
			http.Error(w, "mcpctl playground: refused: request from another site", http.StatusForbidden)
		case !s.tokenOK(r):
			http.Error(w, "mcpctl playground: refused: open the link mcpctl dev printed (it carries this run's token)", http.StatusForbidden)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func (s *Server) serveIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = s.index.Execute(w, struct{ Token string }{s.token})
}

func (s *Server) serveStatic(name, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		data, err := fs.ReadFile(s.static, name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Write(data)
	}
}

// snapshot is everything a page needs when it (re)connects.
type snapshot struct {
	Status   Status        `json:"status"`
	Requests []requestView `json:"requests"`
	Surfaces []Surface     `json:"surfaces"`
}

// snapshotLocked copies the state; mu must be held.
func (s *Server) snapshotLocked() snapshot {
	snap := snapshot{Status: s.status, Requests: []requestView{}, Surfaces: append([]Surface{}, s.surfaces...)}
	for _, r := range s.requests {
		snap.Requests = append(snap.Requests, requestJSON(r))
	}
	return snap
}

func (s *Server) serveState(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	snap := s.snapshotLocked()
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(snap)
}

// serveEvents is the live stream: a snapshot, then status, request and surface events.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	ch := make(chan []byte, 256)
	s.mu.Lock()
	snap, _ := json.Marshal(s.snapshotLocked())
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if _, ok := s.subs[ch]; ok {
			delete(s.subs, ch)
			close(ch)
		}
		s.mu.Unlock()
	}()
	w.Header().Set("Content-Type", mcpwire.MediaSSE)
	w.Header().Set("X-Accel-Buffering", "no")
	w.Write([]byte("event: snapshot\ndata: " + string(snap) + "\n\n"))
	flusher.Flush()
	keepAlive := time.NewTicker(15 * time.Second)
	defer keepAlive.Stop()
	for {
		select {
		case msg, ok := <-ch:
			if !ok {
				return // too slow: the page reconnects
			}
			if _, err := w.Write(msg); err != nil {
				return
			}
			flusher.Flush()
		case <-keepAlive.C:
			if _, err := w.Write([]byte(": keep-alive\n\n")); err != nil {
				return
			}
			flusher.Flush()
		case <-r.Context().Done():
			return
		case <-s.ctx.Done():
			return
		}
	}
}
