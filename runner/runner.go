// Package runner is the `mcpctl dev` loop: it watches a project, rebuilds it on change,
// starts each build as a new process behind a stable local reverse proxy, switches traffic
// once the new process is healthy, and stops the old one. Connected MCP clients, stateful
// ones included, do not notice a reload.
//
// One supervisor goroutine owns all lifecycle state. Everything else (the watcher, builds,
// health checks, stopping old processes) reports to it with messages, and it reports to
// the caller with Events, which is all a view renders.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/runner/devproxy"
)

// Options configure a dev loop. Only Dir is required.
type Options struct {
	Dir  string // project root: watched, built, and the children's working directory
	Port int    // public port on 127.0.0.1; 0 picks a free one
	Path string // MCP endpoint path shown in the URL (default "/mcp"; MCP_PATH in Env wins)

	// Executor runs `go build`. Default: executor.System.
	Executor executor.Executor
	// Env returns the variables each child gets on top of BaseEnv (typically mcpctl.toml's
	// settings and .env). It is called before every start, so edits take effect on the
	// next reload. MCP_LISTEN_ADDR is always set by the runner.
	Env func() ([]string, error)
	// BaseEnv is the environment children inherit. Default: os.Environ() at Start.
	BaseEnv []string

	// AfterBuild, when set, runs after each successful build; what it returns is shown
	// as BuildSucceeded.Notices (e.g. tools that are declared but never registered).
	AfterBuild func() []string

	// ExtraHandler, when set, serves the URL paths under ExtraPrefix (e.g. "/_mcpctl/") on
	// the dev address instead of the proxy (the playground of `mcpctl dev`).
	ExtraPrefix  string
	ExtraHandler http.Handler

	Package    string   // package to build (default ".")
	BuildFlags []string // extra `go build` flags, e.g. -tags
	IgnoreDirs []string // directories (relative to Dir) not to watch, besides the defaults

	Debounce       time.Duration // quiet period after a change before building (default 25ms)
	HealthTimeout  time.Duration // bound on a new process answering /health (default 30s)
	StopTimeout    time.Duration // SIGTERM to SIGKILL (default 5s)
	DrainTimeout   time.Duration // bound on requests still running on a replaced process (default 10s)
	RequestTimeout time.Duration // bound on a request waiting for a healthy process (default 30s)
	CrashBackoff   time.Duration // first automatic restart delay after a crash, doubled per crash (default 500ms)
	MaxBodyBytes   int64         // request body limit at the proxy (default 8 MiB)
}

const (
	maxCrashBackoff = 30 * time.Second
	// A process that stayed up this long was not crash-looping: its crash restarts the
	// backoff from the beginning.
	stableAfter = 10 * time.Second
	eventBuffer = 1024
)

func (o *Options) setDefaults() error {
	if o.Dir == "" {
		return errors.New("runner: Options.Dir is required")
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(dir); err != nil {
		return err
	} else if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	o.Dir = dir
	if o.Port < 0 || o.Port > 65535 {
		return fmt.Errorf("port %d is out of range", o.Port)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Debounce, 25*time.Millisecond)
	def(&o.HealthTimeout, 30*time.Second)
	def(&o.StopTimeout, 5*time.Second)
	def(&o.DrainTimeout, 10*time.Second)
	def(&o.RequestTimeout, 30*time.Second)
	def(&o.CrashBackoff, 500*time.Millisecond)
	if o.Path == "" {
		o.Path = "/mcp"
	}
	if o.Package == "" {
		o.Package = "."
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 8 << 20
	}
	if o.Executor == nil {
		o.Executor = executor.System{}
	}
	if o.BaseEnv == nil {
		o.BaseEnv = os.Environ()
	}
	return nil
}

// PortInUseError: the dev port is taken.
type PortInUseError struct {
	Port int
	Err  error
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("port %d on 127.0.0.1 is already in use (another mcpctl dev or server?); choose another with --port", e.Port)
}

func (e *PortInUseError) Unwrap() error { return e.Err }

// Hint is the next command to run.
func (e *PortInUseError) Hint() string {
	if e.Port <= 0 || e.Port >= 65535 {
		return "mcpctl dev --port PORT"
	}
	return fmt.Sprintf("mcpctl dev --port %d", e.Port+1)
}

// Runner is a started dev loop.
type Runner struct {
	opts     Options
	addr     string
	tmp      string // private directory for the builds
	srv      *http.Server
	served   chan struct{} // closed when srv.Serve returned
	serveErr chan error    // buffered: Serve may fail while nobody listens
	proxy    *devproxy.Proxy

	events  chan Event
	rebuild chan struct{}
	msgs    chan any
	done    chan struct{}
	err     error
}

// Start binds the dev port, starts watching and kicks off the first build. It returns at
// once; the loop runs until ctx is cancelled. A taken port is reported here, as a
// *PortInUseError, before anything else happens.
func Start(ctx context.Context, opts Options) (*Runner, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	if _, err := opts.Executor.LookPath("go"); err != nil {
		return nil, fmt.Errorf("mcpctl dev builds your server with the go command: %w", err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.Port)))
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, &PortInUseError{Port: opts.Port, Err: err}
		}
		return nil, fmt.Errorf("listening on port %d: %w", opts.Port, err)
	}
	w, err := newWatcher(opts.Dir, opts.IgnoreDirs)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("watching %s: %w", opts.Dir, err)
	}
	removeStaleBuildDirs()
	tmp, err := os.MkdirTemp("", buildDirPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		ln.Close()
		w.fs.Close()
		return nil, err
	}
	r := &Runner{
		opts:     opts,
		addr:     ln.Addr().String(),
		tmp:      tmp,
		served:   make(chan struct{}),
		serveErr: make(chan error, 1),
		events:   make(chan Event, eventBuffer),
		rebuild:  make(chan struct{}, 1),
		msgs:     make(chan any),
		done:     make(chan struct{}),
	}
	r.proxy = devproxy.New(devproxy.Options{WaitTimeout: opts.RequestTimeout, MaxBodyBytes: opts.MaxBodyBytes, OnEvent: r.proxyEvent})
	mux := http.NewServeMux()
	mux.Handle("/", r.proxy)
	if opts.ExtraHandler != nil && opts.ExtraPrefix != "" {
		mux.Handle(opts.ExtraPrefix, opts.ExtraHandler)
	}
	r.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second, // no WriteTimeout: it would cut SSE streams
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() {
		defer close(r.served)
		if err := r.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.serveErr <- err
		}
	}()
	changes := make(chan string)
	watchErrs := make(chan error)
	go w.run(ctx, changes, watchErrs)
	go r.supervise(ctx, changes, watchErrs)
	return r, nil
}

// Events delivers what happens, in order. It is closed when the loop has stopped. Read it
// until it is closed: lifecycle events wait for the reader (request log and child output
// are dropped instead when the reader falls behind).
func (r *Runner) Events() <-chan Event { return r.events }

// URL is the dev endpoint clients use.
func (r *Runner) URL() string { return "http://" + r.addr + r.opts.Path }

// Addr is the proxy's listening address.
func (r *Runner) Addr() string { return r.addr }

// Rebuild asks for a build now, as if a file had changed.
func (r *Runner) Rebuild() {
	select {
	case r.rebuild <- struct{}{}:
	default: // one is already pending
	}
}

// Wait blocks until the loop has stopped: every child has exited, the port is released
// and the build directory removed. It returns nil after a cancellation.
func (r *Runner) Wait() error {
	<-r.done
	return r.err
}

// emit sends a lifecycle event, waiting for the reader while the loop runs.
func (r *Runner) emit(ctx context.Context, ev Event) {
	select {
	case r.events <- ev:
	case <-ctx.Done():
		r.emitLossy(ev)
	}
}

// proxyEvent turns what the dev proxy reports into the loop's events. Request-log lines
// are dropped rather than slow a request when the reader falls behind.
func (r *Runner) proxyEvent(ev devproxy.Event) {
	switch ev := ev.(type) {
	case devproxy.Request:
		r.emitLossy(Request(ev))
	case devproxy.SessionLost:
		r.emitLossy(Error{Time: ev.Time, Err: ev})
	}
}

func (r *Runner) emitLossy(ev Event) {
	select {
	case r.events <- ev:
	default:
	}
}

// Messages to the supervisor.
type (
	msgBuilt struct {
		gen     int
		dur     time.Duration
		output  string
		err     error
		notices []string
	}
	msgStarted struct {
		gen  int
		pid  int
		addr string
		env  []string
	}
	// msgHealthy hands a healthy child (and its prepared backend) over to the supervisor.
	msgHealthy struct {
		gen     int
		child   *child
		backend *devproxy.Backend
	}
	// msgAttemptFailed ends an attempt that produced no healthy child.
	msgAttemptFailed struct {
		gen         int
		err         error
		buildFailed bool
		child       *child // a child that was started, has exited by now
		crashed     bool   // child exited on its own or never became healthy
	}
	msgRetired struct{ g *generation }
)

// generation is a child that became healthy, with its proxy backend.
type generation struct {
	child   *child
	backend *devproxy.Backend
	ready   time.Time
}

type attempt struct {
	gen       int
	bin       string
	restart   bool // runs the last build again (after a crash): not a reload
	cancel    context.CancelFunc
	cancelled bool
}

// state is the supervisor's; no other goroutine touches it.
type state struct {
	gen       int
	cur       *generation
	attempts  map[int]*attempt
	retiring  int
	everReady bool
	reloads   int
	restarts  int
	lastBin   string // what a restart runs: the newest build, or the one that crashed
	crashes   int
	pending   string // changed file behind the scheduled build
	stopping  bool

	debounce *time.Timer
	restart  *time.Timer
}

func (r *Runner) supervise(ctx context.Context, changes <-chan string, watchErrs <-chan error) {
	st := &state{attempts: map[int]*attempt{}, debounce: stoppedTimer(), restart: stoppedTimer()}
	r.emit(ctx, Listening{Time: time.Now(), URL: r.URL(), Addr: r.addr})
	r.startAttempt(ctx, st, "initial build", true)

	ctxDone := ctx.Done()
	for !st.stopping || len(st.attempts) > 0 || st.retiring > 0 {
		var curDone <-chan struct{}
		if st.cur != nil {
			curDone = st.cur.child.done
		}
		select {
		case <-ctxDone:
			ctxDone = nil
			r.shutdown(ctx, st)

		case path := <-changes:
			if st.stopping {
				continue
			}
			// The build in flight is already stale: stop it now, build after the burst.
			r.cancelAttempts(st)
			st.pending = path
			st.debounce.Reset(r.opts.Debounce)

		case <-st.debounce.C:
			if !st.stopping {
				r.startAttempt(ctx, st, st.pending+" changed", true)
			}

		case <-r.rebuild:
			if !st.stopping {
				st.debounce.Stop()
				r.startAttempt(ctx, st, "rebuild requested", true)
			}

		case <-st.restart.C:
			if !st.stopping && st.lastBin != "" {
				r.startAttempt(ctx, st, "restart after crash", false)
			}

		case err := <-watchErrs:
			r.emit(ctx, Error{Time: time.Now(), Err: fmt.Errorf("file watcher: %w", err)})

		case <-curDone:
			r.crashed(ctx, st)

		case m := <-r.msgs:
			r.handle(ctx, st, m)

		case err := <-r.serveErr:
			r.err = fmt.Errorf("dev proxy stopped: %w", err)
			if !st.stopping {
				r.shutdown(ctx, st)
			}
		}
	}

	<-r.served
	// No request handler may emit once events is closed.
	r.proxy.Close()
	os.RemoveAll(r.tmp)
	close(r.events)
	close(r.done)
}

// startAttempt begins generation gen+1: build (unless restarting the last binary), start,
// health check, carry sessions. Any attempt still in flight is superseded.
func (r *Runner) startAttempt(ctx context.Context, st *state, reason string, build bool) {
	r.cancelAttempts(st)
	st.restart.Stop()
	st.gen++
	a := &attempt{gen: st.gen, bin: st.lastBin, restart: !build}
	if build {
		a.bin = filepath.Join(r.tmp, "gen-"+strconv.Itoa(st.gen))
	}
	actx, cancel := context.WithCancel(ctx)
	a.cancel = cancel
	st.attempts[a.gen] = a
	r.proxy.SetDown(nil) // something is on its way: let requests wait for it
	if build {
		r.emit(ctx, BuildStarted{Time: time.Now(), Gen: a.gen, Reason: reason})
	}
	go r.runAttempt(actx, a.gen, a.bin, build)
}

func (r *Runner) cancelAttempts(st *state) {
	for _, a := range st.attempts {
		if !a.cancelled {
			a.cancelled = true
			a.cancel()
		}
	}
}

// anyLive reports whether an attempt is on its way to a new generation.
func (st *state) anyLive() bool {
	for _, a := range st.attempts {
		if !a.cancelled {
			return true
		}
	}
	return false
}

// live returns the attempt for gen unless it was superseded.
func (st *state) live(gen int) *attempt {
	if a := st.attempts[gen]; a != nil && !a.cancelled && !st.stopping {
		return a
	}
	return nil
}

// runAttempt runs in its own goroutine and always ends with exactly one msgHealthy or
// msgAttemptFailed. Until it sends msgHealthy it owns the child it started.
func (r *Runner) runAttempt(ctx context.Context, gen int, bin string, build bool) {
	defer func() {
		if v := recover(); v != nil {
			r.msgs <- msgAttemptFailed{gen: gen, err: fmt.Errorf("internal error: %v", v)}
		}
	}()
	if build {
		start := time.Now()
		out, err := r.build(ctx, bin)
		if ctx.Err() != nil {
			r.msgs <- msgAttemptFailed{gen: gen, err: ctx.Err()}
			return
		}
		dur := time.Since(start)
		var notices []string
		if err == nil && r.opts.AfterBuild != nil {
			notices = r.opts.AfterBuild()
		}
		r.msgs <- msgBuilt{gen: gen, dur: dur, output: out, err: err, notices: notices}
		if err != nil {
			r.msgs <- msgAttemptFailed{gen: gen, err: err, buildFailed: true}
			return
		}
	}
	env, err := r.childEnv()
	if err != nil {
		r.msgs <- msgAttemptFailed{gen: gen, err: fmt.Errorf("preparing the server's environment: %w", err)}
		return
	}
	addr, err := freeAddr()
	if err != nil {
		r.msgs <- msgAttemptFailed{gen: gen, err: err}
		return
	}
	c, err := startChild(gen, bin, addr, childConfig{dir: r.opts.Dir, env: env, output: func(stream, line string) {
		r.emitLossy(ChildOutput{Time: time.Now(), Gen: gen, Stream: stream, Line: line})
	}})
	if err != nil {
		r.msgs <- msgAttemptFailed{gen: gen, err: err}
		return
	}
	r.msgs <- msgStarted{gen: gen, pid: c.pid, addr: addr, env: env}
	if err := waitHealthy(ctx, c, r.opts.HealthTimeout); err != nil {
		crashed := ctx.Err() == nil
		c.stop(r.opts.StopTimeout)
		r.msgs <- msgAttemptFailed{gen: gen, err: err, child: c, crashed: crashed}
		return
	}
	b := r.proxy.Prepare(ctx, gen, addr)
	r.msgs <- msgHealthy{gen: gen, child: c, backend: b}
}

func (r *Runner) childEnv() ([]string, error) {
	env := slices.Clone(r.opts.BaseEnv)
	if r.opts.Env != nil {
		extra, err := r.opts.Env()
		if err != nil {
			return nil, err
		}
		env = append(env, extra...)
	}
	return env, nil
}

func (r *Runner) handle(ctx context.Context, st *state, m any) {
	switch m := m.(type) {
	case msgBuilt:
		if st.live(m.gen) == nil {
			return
		}
		if m.err != nil {
			r.emit(ctx, BuildFailed{Time: time.Now(), Gen: m.gen, Duration: m.dur,
				Errors: parseCompileErrors(m.output), Output: m.output})
			return
		}
		st.lastBin = st.attempts[m.gen].bin
		r.emit(ctx, BuildSucceeded{Time: time.Now(), Gen: m.gen, Duration: m.dur, Notices: m.notices})

	case msgStarted:
		if st.live(m.gen) == nil {
			return
		}
		r.emit(ctx, ChildStarted{Time: time.Now(), Gen: m.gen, PID: m.pid, Addr: m.addr,
			URL: r.urlFor(m.env), Auth: authFromEnv(m.env)})

	case msgAttemptFailed:
		live := st.live(m.gen) != nil
		delete(st.attempts, m.gen)
		// Nothing is serving and nothing else is coming: retry a start that crashed (with
		// backoff); a build or start that failed otherwise waits for the next change.
		// While an older generation serves, a new build that will not start is treated like
		// a compile error: reported, and retried only after the next change.
		nothingElse := live && st.cur == nil && !st.anyLive()
		var restartIn time.Duration
		if m.child != nil {
			code, status := m.child.exitInfo()
			ev := ChildExited{Time: time.Now(), Gen: m.gen, PID: m.child.pid, ExitCode: code,
				Status: status, Crashed: live && m.crashed, StderrTail: m.child.stderr.tail()}
			if ev.Crashed && nothingElse {
				ev.RestartIn = r.scheduleRestart(st, time.Time{})
				restartIn = ev.RestartIn
				// Crash-looping: answer requests now, with why, not after the wait bound
				// (before the event, so whoever sees it finds the proxy answering).
				r.proxy.SetDown(crashReason(m.child, restartIn))
			}
			r.emit(ctx, ev)
		}
		if live && !m.buildFailed && m.err != nil {
			ev := StartFailed{Time: time.Now(), Gen: m.gen, Err: m.err, RestartIn: restartIn}
			if st.cur != nil {
				ev.Serving = st.cur.child.gen
			}
			r.emit(ctx, ev)
		}
		switch {
		case !nothingElse || (m.child != nil && m.crashed):
		case m.buildFailed:
			r.proxy.SetDown(errors.New("the last build failed and no earlier build is running; fix the errors mcpctl dev shows"))
		default:
			r.proxy.SetDown(fmt.Errorf("the server did not start (%v); fix it and save a file to retry", m.err))
		}
		r.collectBinaries(st)

	case msgHealthy:
		if st.live(m.gen) == nil {
			delete(st.attempts, m.gen)
			r.retire(st, &generation{child: m.child, backend: m.backend}, false)
			return
		}
		restart := st.attempts[m.gen].restart
		delete(st.attempts, m.gen)
		g := &generation{child: m.child, backend: m.backend, ready: time.Now()}
		r.proxy.Activate(g.backend)
		if old := st.cur; old != nil {
			r.retire(st, old, true)
		}
		st.cur = g
		switch {
		case restart:
			st.restarts++
		case st.everReady:
			st.reloads++
		}
		st.everReady = true
		r.emit(ctx, Ready{Time: g.ready, Gen: m.gen, PID: m.child.pid, Reloads: st.reloads,
			Restart: restart, Restarts: st.restarts, Startup: g.ready.Sub(m.child.started), Sessions: m.backend.Carried()})

	case msgRetired:
		st.retiring--
		code, status := m.g.child.exitInfo()
		r.emit(ctx, ChildExited{Time: time.Now(), Gen: m.g.child.gen, PID: m.g.child.pid,
			ExitCode: code, Status: status, StderrTail: m.g.child.stderr.tail()})
		r.collectBinaries(st)

	}
}

// crashed handles the exit of the serving child, which nobody asked for.
func (r *Runner) crashed(ctx context.Context, st *state) {
	g := st.cur
	st.cur = nil
	// The restart runs the build that crashed, the last one that served, not a newer one
	// that compiled but did not start.
	st.lastBin = g.child.bin
	r.proxy.Detach(g.backend)
	g.backend.CloseIdleConnections()
	code, status := g.child.exitInfo()
	ev := ChildExited{Time: time.Now(), Gen: g.child.gen, PID: g.child.pid, ExitCode: code,
		Status: status, Crashed: true, StderrTail: g.child.stderr.tail()}
	if !st.anyLive() {
		ev.RestartIn = r.scheduleRestart(st, g.ready)
		r.proxy.SetDown(crashReason(g.child, ev.RestartIn))
	}
	r.emit(ctx, ev)
}

// crashReason is what a request hears while no generation is up because the server
// crashed: the exit, its last line of stderr, and when the restart comes.
func crashReason(c *child, restartIn time.Duration) error {
	_, status := c.exitInfo()
	msg := "the server crashed (" + status
	tail := c.stderr.tail()
	for i := len(tail) - 1; i >= 0; i-- {
		if line := strings.TrimSpace(tail[i]); line != "" {
			msg += ": " + line
			break
		}
	}
	msg += ")"
	if restartIn > 0 {
		msg += "; restarting in " + restartIn.Round(time.Millisecond).String()
	}
	return errors.New(msg + "; see the output of mcpctl dev")
}

// scheduleRestart arms the automatic restart of the last binary, backing off while the
// server keeps crashing. readySince is when the crashed process became healthy (zero if
// it never did).
func (r *Runner) scheduleRestart(st *state, readySince time.Time) time.Duration {
	if !readySince.IsZero() && time.Since(readySince) > stableAfter {
		st.crashes = 0
	}
	st.crashes++
	d := r.opts.CrashBackoff << min(st.crashes-1, 16)
	d = min(d, maxCrashBackoff)
	st.restart.Reset(d)
	return d
}

// retire stops g: after its in-flight requests finished (bounded) when drain is set.
func (r *Runner) retire(st *state, g *generation, drain bool) {
	st.retiring++
	idle := r.proxy.Retire(g.backend)
	go func() {
		if drain {
			t := time.NewTimer(r.opts.DrainTimeout)
			select {
			case <-idle:
			case <-t.C:
			}
			t.Stop()
		}
		g.child.stop(r.opts.StopTimeout)
		g.backend.CloseIdleConnections()
		r.msgs <- msgRetired{g: g}
	}()
}

// shutdown begins stopping everything; the supervisor loop ends when the last child is gone.
func (r *Runner) shutdown(ctx context.Context, st *state) {
	st.stopping = true
	st.debounce.Stop()
	st.restart.Stop()
	// Closing the server releases the port and ends client connections (and GET streams).
	r.srv.Close()
	r.cancelAttempts(st)
	if st.cur != nil {
		r.retire(st, st.cur, false)
		st.cur = nil
	}
}

// collectBinaries deletes builds nothing will run again.
func (r *Runner) collectBinaries(st *state) {
	keep := map[string]bool{st.lastBin: true}
	if st.cur != nil {
		keep[st.cur.child.bin] = true
	}
	for _, a := range st.attempts {
		keep[a.bin] = true
	}
	entries, _ := os.ReadDir(r.tmp)
	for _, e := range entries {
		if p := filepath.Join(r.tmp, e.Name()); !keep[p] {
			os.Remove(p)
		}
	}
}

// urlFor is the public URL for a child started with env.
func (r *Runner) urlFor(env []string) string {
	path := r.opts.Path
	if p := envValue(env, "MCP_PATH"); p != "" {
		path = p
	}
	return "http://" + r.addr + path
}

// buildDirPrefix names the private build directories: mcpctl-dev-<pid>-<random>.
const buildDirPrefix = "mcpctl-dev-"

// removeStaleBuildDirs deletes build directories whose mcpctl is gone: one killed outright
// (SIGKILL, a crash) had no chance to remove its own.
func removeStaleBuildDirs() {
	tmp := os.TempDir()
	entries, _ := os.ReadDir(tmp)
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), buildDirPrefix)
		pidStr, _, ok2 := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if !ok || !ok2 || err != nil || !e.IsDir() || processExists(pid) {
			continue
		}
		os.RemoveAll(filepath.Join(tmp, e.Name()))
	}
}

func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}
