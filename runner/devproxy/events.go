package devproxy

import (
	"fmt"
	"time"
)

// Event is something the proxy reports through Options.OnEvent. The types in this file
// are the only implementations: switch on them.
type Event interface {
	isEvent()
}

// Request is one HTTP exchange through the proxy, reported when it completes.
type Request struct {
	Time       time.Time // when it arrived
	HTTPMethod string
	Path       string
	RPCMethod  string // JSON-RPC method of a POST, e.g. "tools/call"; empty otherwise
	Tool       string // tool name of a tools/call
	SessionID  string // client-visible Mcp-Session-Id, if any
	Status     int
	Duration   time.Duration
	Gen        int // generation that served it; 0 when none did
}

// SessionLost: a stateful session holding a GET stream could not be carried over to
// generation Gen while it was prepared. Its client hears the server's own answer on its
// next request (e.g. 401 after the key changed, or 404).
type SessionLost struct {
	Time      time.Time
	SessionID string // client-visible id
	Gen       int
	Err       error
}

func (e SessionLost) Error() string {
	return fmt.Sprintf("session %s not carried over to generation %d: %v", e.SessionID, e.Gen, e.Err)
}

func (e SessionLost) Unwrap() error { return e.Err }

func (Request) isEvent()     {}
func (SessionLost) isEvent() {}
