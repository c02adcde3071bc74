// Package probe verifies an MCP endpoint the way a real client uses it: it reaches the
// server over TCP and TLS, checks that a request without credentials is rejected,
// initializes a Streamable HTTP session with go-sdk's client, lists the tools and can call
// one. Every step is timed and returned as data (Report); a failure carries a Class, which
// maps to a process exit code, and a hint naming the next thing to do.
//
// probe is used by `mcpctl check URL` and by the verification step of `mcpctl deploy`.
package probe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mcpctl/mcpctl/internal/mcpwire"
)

// Defaults for Options left at their zero value.
const (
	DefaultTimeout      = 20 * time.Second
	DefaultKeyHeader    = "x-api-key"
	DefaultMCPPath      = "/mcp"
	DefaultRetryInitial = 1 * time.Second
	DefaultRetryMax     = 8 * time.Second
	defaultClientName   = "mcpctl-check"
)

// ToolCall is the optional tool call of a check.
type ToolCall struct {
	Name string
	// Args is a JSON object with the tool's arguments; empty means {}.
	Args json.RawMessage
}

// Retry bounds how long a check keeps trying a server that is sleeping or booting
// (502/503/504/429, Heroku router errors, timeouts, connections closed without an answer).
// Refused connections, DNS and TLS failures are never retried.
type Retry struct {
	For     time.Duration // total time to keep retrying; 0 disables retries
	Initial time.Duration // first wait (DefaultRetryInitial when zero); doubles up to Max
	Max     time.Duration // longest single wait (DefaultRetryMax when zero)
}

// RetryNotice tells the caller that a step is about to wait and try again.
type RetryNotice struct {
	Step    string
	Attempt int // the attempt that just failed, from 1
	Wait    time.Duration
	Reason  string
}

// Options configures one check. Only URL is required.
type Options struct {
	URL string
	// Key is sent in KeyHeader on every authenticated request. With KeyHeader
	// "Authorization" it is sent as "Bearer <Key>".
	Key       string
	KeyHeader string // DefaultKeyHeader when empty
	// KeySource says where the key came from ("MCP_API_KEY"), for messages; never the key.
	KeySource string
	// Header holds extra headers for every request (e.g. from --header). Headers that
	// look like credentials are left out of the unauthenticated request.
	Header http.Header
	Call   *ToolCall
	// Timeout bounds each request (each attempt, when retried). DefaultTimeout when zero.
	Timeout time.Duration
	Retry   Retry
	// MCPPath is appended to a URL that does not answer like an MCP endpoint, to find
	// the endpoint for a user who gave the base URL. DefaultMCPPath when empty.
	MCPPath string
	// HTTPClient carries every request; its Transport is reused (wrapped, never
	// modified). A fresh client with its own connection pool when nil.
	HTTPClient *http.Client

	ClientName    string // clientInfo.name; "mcpctl-check" when empty
	ClientVersion string // clientInfo.version; "dev" when empty

	// Now and Sleep replace the clock, so tests of retries and timings run instantly.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	// OnStep, when set, is called as each step finishes (for live output).
	OnStep func(Step)
	// OnRetry, when set, is called before each wait between attempts.
	OnRetry func(RetryNotice)
	// OnProgress, when set, is called for each progress notification of the tool call
	// (the call asks for progress either way).
	OnProgress func(Progress)
}

// Progress is one notifications/progress the server sent about the tool call.
type Progress struct {
	Progress float64
	Total    float64 // 0 when unknown
	Message  string
	Elapsed  time.Duration // since the call was sent
}

// FirstByteWindow is the longest a router waits for a response's first byte: Heroku's
// router answers H12 after 30 s, the shortest such window of the supported platforms.
const FirstByteWindow = 30 * time.Second

// Run checks opts.URL and returns the report. Check failures are in the report, not in
// the error: the error is non-nil only for invalid options or when ctx ends first (the
// report is then partial).
func Run(ctx context.Context, opts Options) (*Report, error) {
	p, err := newProber(opts)
	if err != nil {
		return nil, err
	}
	defer p.close()
	start := p.now()
	p.run(ctx)
	r := p.report
	r.DurationMS = p.now().Sub(start).Milliseconds()
	if err := ctx.Err(); err != nil {
		return r, err
	}
	p.finish()
	return r, nil
}

// ParseURL checks a URL given on the command line and fills in a missing scheme (https,
// or http for localhost). It is what Run applies to Options.URL.
func ParseURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, errors.New("no URL given")
	}
	if !strings.Contains(raw, "://") {
		scheme := "https://"
		host := raw
		if i := strings.IndexAny(host, "/?#"); i >= 0 {
			host = host[:i]
		}
		if mcpwire.IsLoopbackHost(host) {
			scheme = "http://"
		}
		raw = scheme + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid URL %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("invalid URL %q: the scheme must be http or https", raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("invalid URL %q: no host", raw)
	}
	u.Fragment = ""
	return u, nil
}

// prober holds one check's state. It is used by one goroutine.
type prober struct {
	opts    Options
	given   *url.URL
	timeout time.Duration
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error

	raw         *http.Client // the probe's own requests: no redirects, headers added per request
	authed      *http.Client // go-sdk's requests: credentials and extra headers added
	ownsClient  bool
	rec         *recorder
	callSent    atomic.Pointer[time.Time] // when the tool call went out; nil outside it
	progress    atomic.Int32              // progress notifications of the tool call
	plainHeader http.Header               // extra headers minus credentials, plus the probe's own
	credHeader  http.Header               // every header the authenticated requests carry
	hasCreds    bool
	credDesc    string
	initBody    []byte

	endpoint string
	report   *Report
	tools    []string
}

func newProber(opts Options) (*prober, error) {
	u, err := ParseURL(opts.URL)
	if err != nil {
		return nil, err
	}
	if opts.Call != nil {
		if opts.Call.Name == "" {
			return nil, errors.New("tool call without a tool name")
		}
		if len(opts.Call.Args) > 0 {
			var obj map[string]any
			if err := json.Unmarshal(opts.Call.Args, &obj); err != nil || obj == nil {
				return nil, fmt.Errorf("tool arguments must be a JSON object: %s", opts.Call.Args)
			}
		}
	}
	if opts.KeyHeader == "" {
		opts.KeyHeader = DefaultKeyHeader
	}
	if opts.MCPPath == "" {
		opts.MCPPath = DefaultMCPPath
	}
	if !strings.HasPrefix(opts.MCPPath, "/") {
		opts.MCPPath = "/" + opts.MCPPath
	}
	if opts.ClientName == "" {
		opts.ClientName = defaultClientName
	}
	if opts.ClientVersion == "" {
		opts.ClientVersion = "dev"
	}
	if opts.Retry.Initial <= 0 {
		opts.Retry.Initial = DefaultRetryInitial
	}
	if opts.Retry.Max <= 0 {
		opts.Retry.Max = DefaultRetryMax
	}
	p := &prober{
		opts:    opts,
		given:   u,
		timeout: opts.Timeout,
		now:     opts.Now,
		sleep:   opts.Sleep,
		rec:     &recorder{},
		report: &Report{
			SchemaVersion: SchemaVersion,
			URL:           u.String(),
			Endpoint:      u.String(),
		},
	}
	if p.timeout <= 0 {
		p.timeout = DefaultTimeout
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.sleep == nil {
		p.sleep = sleepContext
	}
	p.endpoint = u.String()
	p.initBody = initializeBody(opts.ClientName, opts.ClientVersion)

	base := opts.HTTPClient
	if base == nil {
		base = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		p.ownsClient = true
	}
	rt := base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	raw := *base
	raw.CheckRedirect = noRedirect
	p.raw = &raw

	userAgent := opts.ClientName + "/" + opts.ClientVersion
	p.plainHeader = http.Header{}
	p.credHeader = http.Header{}
	for name, values := range opts.Header {
		name = http.CanonicalHeaderKey(name)
		p.credHeader[name] = append([]string(nil), values...)
		if isCredentialHeader(name, opts.KeyHeader) {
			p.hasCreds = true
			if p.credDesc == "" {
				p.credDesc = name + " header"
			}
			continue
		}
		p.plainHeader[name] = append([]string(nil), values...)
	}
	if opts.Key != "" {
		kh := http.CanonicalHeaderKey(opts.KeyHeader)
		value := opts.Key
		if kh == "Authorization" {
			value = "Bearer " + opts.Key
		}
		p.credHeader.Set(kh, value)
		p.hasCreds = true
		p.credDesc = strings.ToLower(opts.KeyHeader)
		if opts.KeySource != "" {
			p.credDesc += " from " + opts.KeySource
		}
	}
	for _, h := range []http.Header{p.plainHeader, p.credHeader} {
		if h.Get("User-Agent") == "" {
			h.Set("User-Agent", userAgent)
		}
	}

	authed := *base
	// Never follow redirects with credentials attached: the headers would go to
	// whatever host the redirect names.
	authed.CheckRedirect = noRedirect
	authed.Transport = &headerTransport{base: rt, header: p.credHeader, rec: p.rec}
	p.authed = &authed
	return p, nil
}

func (p *prober) close() {
	if p.ownsClient {
		p.raw.CloseIdleConnections()
	}
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run executes the steps in order; each step decides whether the next can run.
func (p *prober) run(ctx context.Context) {
	obs, ok := p.stepReach(ctx)
	if ok {
		obs, ok = p.stepEndpoint(ctx, obs)
	}
	if ok {
		ok = p.stepAuth(ctx, obs)
	}
	if ok {
		p.stepSession(ctx)
	}
	p.skipUnrun()
}

// plan is every step a check runs, in order, OAuth steps aside.
func (p *prober) plan() []string {
	steps := []string{StepReach, StepEndpoint, StepAuth, StepInitialize, StepToolsList}
	if p.opts.Call != nil {
		steps = append(steps, StepToolsCall)
	}
	return steps
}

func (p *prober) skipUnrun() {
	reason := "not run: an earlier step failed"
	failed := slices.ContainsFunc(p.report.Steps, func(s Step) bool { return s.Status == StatusFail })
	if s, ok := p.report.Step(StepInitialize); ok && s.Status == StatusSkip && !failed {
		reason = "not run: " + s.Detail
	}
	for _, name := range p.plan() {
		if _, ok := p.report.Step(name); !ok {
			p.record(Step{Name: name, Status: StatusSkip, Detail: reason}, time.Time{})
		}
	}
}

// record appends a finished step, timed from start (untimed when start is zero).
func (p *prober) record(s Step, start time.Time) {
	if !start.IsZero() {
		s.DurationMS = p.now().Sub(start).Milliseconds()
	}
	p.report.Steps = append(p.report.Steps, s)
	if p.opts.OnStep != nil {
		p.opts.OnStep(s)
	}
}

// finish derives the verdict from the steps: the first failed step decides the class,
// the summary and the hint.
func (p *prober) finish() {
	r := p.report
	warnings := 0
	for _, s := range r.Steps {
		switch {
		case s.Status == StatusFail && r.Class == "":
			r.Class, r.Summary, r.Hint = s.Class, s.Detail, s.Hint
			if r.Class == "" {
				r.Class = ClassInternal
			}
		case s.Status == StatusWarn:
			warnings++
		}
	}
	r.OK = r.Class == ""
	r.ExitCode = r.Class.ExitCode()
	if !r.OK {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s works", r.Endpoint)
	if s, ok := r.Step(StepInitialize); ok && s.Status == StatusSkip {
		fmt.Fprintf(&b, " as far as checked; MCP steps not run (%s)", s.Detail)
	}
	if r.Server != nil {
		fmt.Fprintf(&b, ": %s", serverLabel(r.Server))
		fmt.Fprintf(&b, ", %d %s", len(r.Tools), plural(len(r.Tools), "tool", "tools"))
	}
	if warnings > 0 {
		fmt.Fprintf(&b, " (%d %s)", warnings, plural(warnings, "warning", "warnings"))
	}
	r.Summary = b.String()
}

func serverLabel(s *ServerInfo) string {
	label := s.Name
	if s.Version != "" {
		label += " " + s.Version
	}
	if label == "" {
		label = "unnamed server"
	}
	return label
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// retryAdvice is what an attempt says about trying again.
type retryAdvice struct {
	retry  bool
	reason string
	after  time.Duration // the server's Retry-After, if any
}

// retryLoop calls attempt until it needs no retry or the retry budget (opts.Retry.For,
// measured on the injectable clock) would be overrun by the next wait. It returns the
// number of attempts made.
func (p *prober) retryLoop(ctx context.Context, step string, attempt func(context.Context) retryAdvice) int {
	deadline := p.now().Add(p.opts.Retry.For)
	wait := p.opts.Retry.Initial
	for n := 1; ; n++ {
		adv := attempt(ctx)
		if !adv.retry || ctx.Err() != nil {
			return n
		}
		w := wait
		if adv.after > w {
			w = min(adv.after, p.opts.Retry.Max)
		}
		if p.now().Add(w).After(deadline) {
			return n
		}
		if p.opts.OnRetry != nil {
			p.opts.OnRetry(RetryNotice{Step: step, Attempt: n, Wait: w, Reason: adv.reason})
		}
		if err := p.sleep(ctx, w); err != nil {
			return n
		}
		wait = min(wait*2, p.opts.Retry.Max)
	}
}

// adviceFor decides whether a raw observation is worth retrying.
func (p *prober) adviceFor(o *observation) retryAdvice {
	if o.err != nil {
		_, detail, _, retry := netFailure(o.err, p.given, p.timeout)
		return retryAdvice{retry: retry, reason: detail}
	}
	if classifyReply(o) == kindTransient {
		f := transientFailure(o)
		return retryAdvice{retry: f.retry, reason: f.detail, after: retryAfter(o.header)}
	}
	return retryAdvice{}
}

func retryAfter(h http.Header) time.Duration {
	var secs int
	if _, err := fmt.Sscanf(h.Get("Retry-After"), "%d", &secs); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	return 0
}
