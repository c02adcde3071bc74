package runner

import (
	"fmt"
	"time"

	"github.com/mcpctl/mcpctl/runner/devproxy"
)

// Event is something that happened in the dev loop. The types in this file are the only
// implementations: switch on them. Events are what a view (the dashboard, the line printer)
// renders; they carry everything it needs, so no view has to ask the runner anything.
type Event interface {
	isEvent()
}

// Listening: the public dev address is bound. First event of every run.
type Listening struct {
	Time time.Time
	URL  string // http://127.0.0.1:<port><path>
	Addr string // 127.0.0.1:<port>
}

// BuildStarted: `go build` of generation Gen began.
type BuildStarted struct {
	Time   time.Time
	Gen    int
	Reason string // "initial build", "rebuild requested", or the changed file
}

// BuildSucceeded: generation Gen compiled.
type BuildSucceeded struct {
	Time     time.Time
	Gen      int
	Duration time.Duration
	// Notices are what Options.AfterBuild found in the source that compiled (e.g. a tool
	// that is never registered): not errors, the build is started anyway.
	Notices []string
}

// BuildFailed: generation Gen did not compile. Whatever was serving keeps serving.
type BuildFailed struct {
	Time     time.Time
	Gen      int
	Duration time.Duration
	Errors   []CompileError // parsed file:line:col diagnostics; may be empty (e.g. go.mod errors)
	Output   string         // everything `go build` printed
}

// ChildStarted: the binary of generation Gen is running and being health-checked.
type ChildStarted struct {
	Time time.Time
	Gen  int
	PID  int
	Addr string // private loopback address of this child
	URL  string // public URL clients use (it never changes between generations)
	Auth Auth   // how a client authenticates, from the environment the child got
}

// Ready: generation Gen answers /health and now receives all traffic.
//
// Generation numbers count attempts: every build and every automatic restart after a
// crash takes the next one, so a build that failed or a process that never became
// healthy leaves a gap in the numbers the user sees served.
type Ready struct {
	Time time.Time
	Gen  int
	PID  int
	// Reloads counts swaps to newly built code since the first ready generation (0 for
	// the first). Restarts after a crash run the same build again and are not reloads.
	Reloads int
	// Restart: this generation runs the previous build again after a crash.
	Restart bool
	// Restarts counts the generations that were restarts after a crash.
	Restarts int
	Startup  time.Duration // process start to first healthy /health
	// Sessions is how many stateful client sessions were carried over eagerly (those
	// holding a GET stream); others are carried over on their next request.
	Sessions int
}

// ChildExited: a child process ended. Crashed is false for exits the runner asked for
// (a swap, shutdown, a cancelled start).
type ChildExited struct {
	Time       time.Time
	Gen        int
	PID        int
	ExitCode   int    // -1 when killed by a signal
	Status     string // "exit status 2", "signal: killed"
	Crashed    bool
	StderrTail []string      // last lines the child wrote to stderr
	RestartIn  time.Duration // when Crashed: the automatic restart delay (crash-loop backoff)
}

// StartFailed: generation Gen was built (or restarted) but never became healthy: its
// process exited or did not answer /health in time, or could not be started at all. A
// ChildExited with the process's output tail comes first when a process was started.
type StartFailed struct {
	Time time.Time
	Gen  int
	Err  error // why, e.g. "exited before answering /health"
	// Serving is the generation that still serves (0 when none does).
	Serving int
	// RestartIn is the automatic retry delay when nothing serves (0: waits for a change).
	RestartIn time.Duration
}

// ChildOutput is one line a child wrote. Under load lines may be dropped rather than slow
// the proxy; the crash tail in ChildExited is kept separately and is never dropped.
type ChildOutput struct {
	Time   time.Time
	Gen    int
	Stream string // "stdout" or "stderr"
	Line   string
}

// Request is one HTTP exchange through the dev proxy, logged when it completes. Its
// fields are devproxy.Request's.
type Request devproxy.Request

// Error reports a problem that did not stop the dev loop (watcher trouble, a session
// that could not be carried). A generation that did not start is a StartFailed.
type Error struct {
	Time time.Time
	Err  error
}

// Auth describes how to authenticate to the dev server. It is derived from the child's
// environment (MCP_AUTH, MCP_API_KEY), so it follows edits of .env and mcpctl.toml.
type Auth struct {
	Mode   string // "apikey", "oauth", "none", or "" when unknown
	Header string // header name to send, e.g. "x-api-key"; empty for none
	Value  string // header value; a secret for apikey, so views mask it
}

// CompileError is one diagnostic from `go build`.
type CompileError struct {
	File    string // as printed by go, relative to the project directory
	Line    int
	Col     int // 0 when go gave none
	Message string
}

func (e CompileError) String() string {
	if e.Col > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Message)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Message)
}

func (Listening) isEvent()      {}
func (BuildStarted) isEvent()   {}
func (BuildSucceeded) isEvent() {}
func (BuildFailed) isEvent()    {}
func (ChildStarted) isEvent()   {}
func (Ready) isEvent()          {}
func (ChildExited) isEvent()    {}
func (StartFailed) isEvent()    {}
func (ChildOutput) isEvent()    {}
func (Request) isEvent()        {}
func (Error) isEvent()          {}
