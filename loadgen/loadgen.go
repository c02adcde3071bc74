// Package loadgen drives load against a Streamable HTTP MCP endpoint: many clients on
// keep-alive connections call one method as fast as allowed, and only correct answers
// count. It speaks both protocol eras (2026-07-28 stateless, 2025-11-25 sessions).
package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"golang.org/x/time/rate"
)

// Protocol revisions the generator speaks.
const (
	Era2026 = "2026-07-28"
	Era2025 = "2025-11-25"
	// EraAuto asks the server with server/discover and falls back to 2025-11-25.
	EraAuto = "auto"
)

// Error classes, as counted in Report.Errors.
const (
	ClassConnect     = "connect"       // no TCP/TLS connection
	ClassTimeout     = "timeout"       // no complete answer within Options.Timeout
	ClassHTTP        = "http_"         // prefix: an unexpected HTTP status, e.g. http_401
	ClassJSONRPC     = "jsonrpc_error" // a JSON-RPC error answer
	ClassToolError   = "tool_error"    // a tools/call result with isError
	ClassBadResponse = "bad_response"  // an answer that is not the expected JSON-RPC response
	ClassSession     = "session"       // initialize failed (2025-11-25)
)

// DefaultTimeout bounds each request.
const DefaultTimeout = 30 * time.Second

// Options says what to load and how hard.
type Options struct {
	URL string
	// Header is sent with every request (keys, extra headers).
	Header http.Header
	// Tool is the tool to call; "" calls tools/list.
	Tool string
	Args json.RawMessage
	// Concurrency is the number of clients, each with its own connection and, in the
	// 2025-11-25 era, its own session.
	Concurrency int
	// Duration or Requests bounds the run (at least one must be set; both: the first
	// reached ends it).
	Duration time.Duration
	Requests int64
	// Rate caps calls per second over all clients (0: no cap).
	Rate float64
	// Era is Era2026, Era2025 or EraAuto ("" is EraAuto).
	Era     string
	Timeout time.Duration
	// HTTPClient replaces the default keep-alive client (tests: a TLS test client).
	HTTPClient *http.Client
	// Progress, when set, is called about every Interval while the load runs.
	Progress func(Progress)
	Interval time.Duration

	ClientName, ClientVersion string
}

// Progress is a snapshot while the load runs.
type Progress struct {
	Elapsed time.Duration
	OK      int64
	Failed  int64
}

// ReportVersion is the version of the --json report; fields are only added.
const ReportVersion = 1

// Report is the outcome of a run.
type Report struct {
	Version     int     `json:"version"`
	URL         string  `json:"url"`
	Protocol    string  `json:"protocol"`
	Method      string  `json:"method"`
	Tool        string  `json:"tool,omitempty"`
	Concurrency int     `json:"concurrency"`
	Rate        float64 `json:"rate_limit,omitempty"`
	Seconds     float64 `json:"seconds"`
	OK          int64   `json:"ok"`
	Failed      int64   `json:"failed"`
	// Throughput counts correct answers only.
	Throughput float64 `json:"calls_per_second"`
	// Latency of correct answers, in milliseconds.
	Latency Latency `json:"latency_ms"`
	// Errors counts failed calls by class; Samples holds one message per class.
	Errors  map[string]int64  `json:"errors,omitempty"`
	Samples map[string]string `json:"error_samples,omitempty"`
}

// Latency percentiles in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// Classes returns the error classes in a stable order, most frequent first.
func (r *Report) Classes() []string {
	cs := make([]string, 0, len(r.Errors))
	for c := range r.Errors {
		cs = append(cs, c)
	}
	sort.Slice(cs, func(i, j int) bool {
		if r.Errors[cs[i]] != r.Errors[cs[j]] {
			return r.Errors[cs[i]] > r.Errors[cs[j]]
		}
		return cs[i] < cs[j]
	})
	return cs
}

// SetupError is a failure before the load started: the endpoint could not be reached or
// refused the first call. Nothing was loaded.
type SetupError struct {
	Class  string
	Detail string
	Hint   string
}

func (e *SetupError) Error() string { return e.Detail }

// Run loads the endpoint and reports. A failure of the first call (bad URL, refused
// key) returns a *SetupError before any load is sent.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	hc := opts.HTTPClient
	if hc == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns = 0
		t.MaxIdleConnsPerHost = opts.Concurrency + 1
		t.ForceAttemptHTTP2 = false
		defer t.CloseIdleConnections()
		hc = &http.Client{Transport: t}
	}
	c := &caller{opts: &opts, hc: hc}
	c.buildParams()

	era := opts.Era
	if era == "" || era == EraAuto {
		var err error
		if era, err = c.discover(ctx); err != nil {
			return nil, err
		}
	}
	c.era = era

	// The first call, alone: a wrong URL or key is one clear error, not a flood.
	first, err := c.newClient(ctx)
	if err != nil {
		return nil, err
	}
	if _, f := first.call(ctx); f != nil {
		first.close()
		return nil, &SetupError{Class: f.class, Detail: "the first call failed: " + f.msg, Hint: hintFor(f.class, opts.URL)}
	}

	var limiter *rate.Limiter
	if opts.Rate > 0 {
		burst := max(1, int(opts.Rate/100))
		limiter = rate.NewLimiter(rate.Limit(opts.Rate), burst)
	}

	r := &run{opts: &opts, limiter: limiter, errs: map[string]int64{}, samples: map[string]string{}}
	loadCtx := ctx
	var cancel context.CancelFunc = func() {}
	if opts.Duration > 0 {
		loadCtx, cancel = context.WithTimeout(ctx, opts.Duration)
	}
	defer cancel()

	start := time.Now()
	stopProgress := r.progress(start)
	clients := make([]*client, opts.Concurrency)
	clients[0] = first
	var wg sync.WaitGroup
	hists := make([]*hdrhistogram.Histogram, opts.Concurrency)
	for i := range clients {
		hists[i] = hdrhistogram.New(1, int64(10*time.Minute/time.Microsecond), 3)
		wg.Go(func() {
			cl := clients[i]
			if cl == nil {
				var err error
				if cl, err = c.newClient(loadCtx); err != nil {
					var se *SetupError
					if errors.As(err, &se) && loadCtx.Err() == nil {
						r.fail(&failure{class: ClassSession, msg: se.Detail})
					}
					return
				}
			}
			defer cl.close()
			r.loop(loadCtx, ctx, cl, hists[i])
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopProgress()

	total := hdrhistogram.New(1, int64(10*time.Minute/time.Microsecond), 3)
	for _, h := range hists {
		total.Merge(h)
	}
	rep := &Report{
		Version:     ReportVersion,
		URL:         opts.URL,
		Protocol:    era,
		Method:      c.method,
		Tool:        opts.Tool,
		Concurrency: opts.Concurrency,
		Rate:        opts.Rate,
		Seconds:     elapsed.Seconds(),
		OK:          r.ok.Load(),
		Failed:      r.failed.Load(),
	}
	if len(r.errs) > 0 {
		rep.Errors, rep.Samples = r.errs, r.samples
	}
	if rep.Seconds > 0 {
		rep.Throughput = float64(rep.OK) / rep.Seconds
	}
	if total.TotalCount() > 0 {
		ms := func(us int64) float64 { return float64(us) / 1000 }
		rep.Latency = Latency{
			P50:  ms(total.ValueAtQuantile(50)),
			P90:  ms(total.ValueAtQuantile(90)),
			P99:  ms(total.ValueAtQuantile(99)),
			Max:  ms(total.Max()),
			Mean: total.Mean() / 1000,
		}
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	return rep, nil
}

func (o *Options) check() error {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("invalid URL %q: want http(s)://host/path", o.URL)
	}
	if o.Concurrency < 1 {
		return errors.New("concurrency must be at least 1")
	}
	if o.Duration <= 0 && o.Requests <= 0 {
		return errors.New("refusing to run unbounded: give a duration or a request count")
	}
	if o.Rate < 0 {
		return errors.New("the rate must not be negative")
	}
	switch o.Era {
	case "", EraAuto, Era2026, Era2025:
	default:
		return fmt.Errorf("unknown protocol %q: want %s, %s or %s", o.Era, Era2026, Era2025, EraAuto)
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.ClientName == "" {
		o.ClientName = "mcpctl-bench"
	}
	if o.ClientVersion == "" {
		o.ClientVersion = "dev"
	}
	return nil
}

// run is the shared state of one load run.
type run struct {
	opts    *Options
	limiter *rate.Limiter
	issued  atomic.Int64
	ok      atomic.Int64
	failed  atomic.Int64

	mu      sync.Mutex
	errs    map[string]int64
	samples map[string]string
}

// loop calls until loadCtx ends or the request budget is spent. A call in flight when
// the duration ends still finishes (bounded by the timeout, cancelled with ctx).
func (r *run) loop(loadCtx, ctx context.Context, cl *client, h *hdrhistogram.Histogram) {
	for loadCtx.Err() == nil {
		if r.opts.Requests > 0 && r.issued.Add(1) > r.opts.Requests {
			return
		}
		if r.limiter != nil && r.limiter.Wait(loadCtx) != nil {
			return
		}
		d, f := cl.call(ctx)
		if f != nil {
			if ctx.Err() != nil {
				return
			}
			r.fail(f)
			continue
		}
		r.ok.Add(1)
		_ = h.RecordValue(max(1, d.Microseconds()))
	}
}

func (r *run) fail(f *failure) {
	r.failed.Add(1)
	r.mu.Lock()
	r.errs[f.class]++
	if _, ok := r.samples[f.class]; !ok {
		r.samples[f.class] = f.msg
	}
	r.mu.Unlock()
}

func (r *run) progress(start time.Time) (stop func()) {
	if r.opts.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(r.opts.Interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				r.opts.Progress(Progress{Elapsed: time.Since(start), OK: r.ok.Load(), Failed: r.failed.Load()})
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

func hintFor(class, rawURL string) string {
	switch class {
	case ClassConnect:
		return "is the server running at " + rawURL + "? Start it (mcpctl dev) or fix the URL"
	case ClassHTTP + "401", ClassHTTP + "403":
		return "the server refused the credentials: set the key with --key-env (default MCP_API_KEY) or --token, as for mcpctl check"
	case ClassHTTP + "404":
		return "no MCP endpoint at this path: check the URL's path (generated servers use /mcp)"
	case ClassHTTP + "405", ClassHTTP + "406", ClassHTTP + "415":
		return "this does not look like a Streamable HTTP MCP endpoint; mcpctl check URL diagnoses it"
	case ClassToolError, ClassJSONRPC:
		return "check the tool name (--call) and its arguments (--args); mcpctl check URL --call TOOL shows the answer"
	case ClassTimeout:
		return "the server did not answer in time; raise --timeout or check the server"
	}
	return "mcpctl check " + rawURL + " diagnoses the endpoint step by step"
}
