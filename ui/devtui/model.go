// Package devtui renders the `mcpctl dev` loop: a bubbletea dashboard for terminals and a
// plain line printer for everything else. Both are views over runner events and hold no
// logic of their own: what they show is what the last events said.
package devtui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/mcpctl/mcpctl/keys"
	"github.com/mcpctl/mcpctl/runner"
)

// States the dashboard shows.
const (
	StateStarting    = "starting"
	StateBuilding    = "building"
	StateRunning     = "running"
	StateBuildFailed = "build failed"
	StateStartFailed = "start failed"
	StateCrashed     = "crashed"
)

const maxLogEntries = 500

// Options configure the dashboard.
type Options struct {
	// Rebuild is called when the user presses r (runner.Runner.Rebuild).
	Rebuild func()
	// Renderer styles the output; tests pass one with a fixed colour profile. nil uses
	// lipgloss's default renderer.
	Renderer *lipgloss.Renderer
	// PlaygroundURL is the browser playground's link; o opens it with OpenURL.
	PlaygroundURL string
	OpenURL       func(url string) error
}

// EventMsg carries one runner event into Update.
type EventMsg struct{ Event runner.Event }

// closedMsg: the runner stopped and closed its event channel.
type closedMsg struct{}

// Panel kinds: which events may clear the panel.
const (
	panelBuild = "build" // a compile error: cleared by the next good build
	panelStart = "start" // a generation that did not start: cleared by a later ready one, or c
	panelCrash = "crash" // the serving process crashed: cleared once one serves again
)

// crash is the last process that ended on its own, kept viewable after a restart.
type crash struct {
	at     time.Time
	gen    int
	status string
	tail   []string
}

// Model is the dashboard. Its zero value is not usable; call New.
type Model struct {
	events  <-chan runner.Event
	rebuild func()
	st      styles

	url        string
	auth       runner.Auth
	showKey    bool
	state      string
	stateGen   int  // the generation the state is about (building, starting, failed)
	serving    bool // some generation answers requests (also while a build failed)
	gen, pid   int  // the serving generation
	lastBuild  time.Duration
	buildGen   int  // generation of the last finished build
	buildOK    bool // whether it compiled
	reloads    int
	restarts   int
	log        []runner.Request
	scroll     int // entries scrolled back from the newest
	panelTitle string
	panel      []string
	panelKind  string
	panelGen   int // the generation the panel is about
	lastCrash  *crash
	showCrash  bool     // l: the last crash's output replaces the panel
	notices    []string // runner.Error messages since the last ready generation or c
	toolNotes  []string // what the last successful build's checks found
	play       string
	openURL    func(string) error
	surface    *SurfaceMsg // the last tool-list change
	width      int
	height     int
	stopped    bool
}

// New returns a dashboard fed by events.
func New(events <-chan runner.Event, opts Options) Model {
	r := opts.Renderer
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	return Model{
		events:  events,
		rebuild: opts.Rebuild,
		play:    opts.PlaygroundURL,
		openURL: opts.OpenURL,
		st:      newStyles(r),
		state:   StateStarting,
		width:   100,
		height:  30,
	}
}

// waitEvent is the command that delivers the next event; Update re-arms it after each.
func waitEvent(events <-chan runner.Event) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-events
		if !ok {
			return closedMsg{}
		}
		return EventMsg{Event: ev}
	}
}

// Init starts listening for events.
func (m Model) Init() tea.Cmd { return waitEvent(m.events) }

// Update applies a key, a resize or a runner event.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tea.KeyMsg:
		return m.key(msg)
	case closedMsg:
		m.stopped = true
		return m, tea.Quit
	case EventMsg:
		m = m.apply(msg.Event)
		return m, waitEvent(m.events)
	case SurfaceMsg:
		if msg.Err != "" || msg.First || len(msg.Lines) > 0 || m.surface == nil {
			m.surface = &msg
		}
	case openedMsg:
		if msg.err != nil {
			m.notices = append(m.notices, "opening the playground: "+msg.err.Error()+"; open "+m.play+" yourself")
		}
	}
	return m, nil
}

func (m Model) key(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch msg.String() {
	case "q", "ctrl+c", "esc":
		return m, tea.Quit
	case "r":
		if m.rebuild != nil {
			rebuild := m.rebuild
			return m, func() tea.Msg { rebuild(); return nil }
		}
	case "c":
		// Clears what is history: the log, messages, the last crash and a failed start
		// that something else is serving past. A compile error or a down server stays:
		// it is still true.
		m.log, m.scroll = nil, 0
		m.notices, m.toolNotes = nil, nil
		m.lastCrash, m.showCrash = nil, false
		if m.panelKind == panelStart && m.serving {
			m.clearPanel()
		}
	case "l":
		m.showCrash = !m.showCrash && m.lastCrash != nil
	case "k":
		m.showKey = !m.showKey
	case "o":
		if m.openURL != nil && m.play != "" {
			open, url := m.openURL, m.play
			return m, func() tea.Msg { return openedMsg{err: open(url)} }
		}
	case "up":
		m.scroll = min(m.scroll+1, max(len(m.log)-1, 0))
	case "down":
		m.scroll = max(m.scroll-1, 0)
	case "pgup":
		m.scroll = min(m.scroll+m.logRows(), max(len(m.log)-1, 0))
	case "pgdown":
		m.scroll = max(m.scroll-m.logRows(), 0)
	case "end":
		m.scroll = 0
	}
	return m, nil
}

// apply records what an event says.
func (m Model) apply(ev runner.Event) Model {
	switch ev := ev.(type) {
	case runner.Listening:
		m.url = ev.URL
	case runner.BuildStarted:
		m.state, m.stateGen = StateBuilding, ev.Gen
	case runner.BuildSucceeded:
		m.state, m.stateGen = StateStarting, ev.Gen
		m.lastBuild, m.buildGen, m.buildOK = ev.Duration, ev.Gen, true
		m.toolNotes = ev.Notices
		if m.panelKind == panelBuild {
			m.clearPanel()
		}
	case runner.BuildFailed:
		m.state, m.stateGen = StateBuildFailed, ev.Gen
		m.lastBuild, m.buildGen, m.buildOK = ev.Duration, ev.Gen, false
		title := fmt.Sprintf("Build of generation %d failed (%d %s)", ev.Gen, len(ev.Errors), plural(len(ev.Errors), "error", "errors"))
		var body []string
		for _, e := range ev.Errors {
			body = append(body, strings.Split(e.String(), "\n")...)
		}
		if len(ev.Errors) == 0 {
			title = fmt.Sprintf("Build of generation %d failed", ev.Gen)
			body = strings.Split(strings.TrimSpace(ev.Output), "\n")
		}
		if m.serving {
			title += fmt.Sprintf(" · generation %d still serving", m.gen)
		}
		m.setPanel(panelBuild, ev.Gen, title, body)
	case runner.ChildStarted:
		m.url, m.auth = ev.URL, ev.Auth
		m.state, m.stateGen = StateStarting, ev.Gen
	case runner.Ready:
		m.state, m.serving = StateRunning, true
		m.gen, m.pid, m.reloads, m.restarts = ev.Gen, ev.PID, ev.Reloads, ev.Restarts
		m.stateGen = ev.Gen
		m.notices = nil // they were about generations before this one
		if m.panelKind != "" {
			m.clearPanel()
		}
	case runner.ChildExited:
		if !ev.Crashed {
			break
		}
		tail := withoutAccessLog(ev.StderrTail)
		m.lastCrash = &crash{at: ev.Time, gen: ev.Gen, status: ev.Status, tail: tail}
		if !m.serving || ev.Gen != m.gen {
			break // a generation that never served: its StartFailed follows
		}
		m.serving = false
		m.state, m.stateGen = StateCrashed, ev.Gen
		title := fmt.Sprintf("Generation %d crashed: %s", ev.Gen, ev.Status)
		if ev.RestartIn > 0 {
			title += fmt.Sprintf(" · restarting in %s", ev.RestartIn.Round(time.Millisecond))
		}
		m.setPanel(panelCrash, ev.Gen, title, tail)
	case runner.StartFailed:
		title := fmt.Sprintf("Generation %d did not start: %v", ev.Gen, ev.Err)
		var body []string
		if c := m.lastCrash; c != nil && c.gen == ev.Gen {
			body = c.tail
		}
		switch {
		case ev.Serving > 0:
			// The older generation never stopped: say so, and say what it is.
			m.state, m.stateGen = StateRunning, ev.Serving
			title += fmt.Sprintf(" · generation %d still serving", ev.Serving)
		case ev.RestartIn > 0:
			m.state, m.stateGen = StateStartFailed, ev.Gen
			title += fmt.Sprintf(" · retrying in %s", ev.RestartIn.Round(time.Millisecond))
		default:
			m.state, m.stateGen = StateStartFailed, ev.Gen
			title += " · fix it and save a file to retry"
		}
		m.setPanel(panelStart, ev.Gen, title, body)
	case runner.Request:
		m.log = append(m.log, ev)
		if len(m.log) > maxLogEntries {
			m.log = m.log[len(m.log)-maxLogEntries:]
		}
		if m.scroll > 0 { // keep the lines being read in place
			m.scroll = min(m.scroll+1, len(m.log)-1)
		}
	case runner.Error:
		m.notices = append(m.notices, ev.Err.Error())
		if len(m.notices) > 3 {
			m.notices = m.notices[len(m.notices)-3:]
		}
	}
	return m
}

func (m *Model) setPanel(kind string, gen int, title string, body []string) {
	m.panelKind, m.panelGen, m.panelTitle, m.panel = kind, gen, title, body
	m.showCrash = false // a new problem is what to look at
}

func (m *Model) clearPanel() {
	m.panel, m.panelTitle, m.panelKind, m.panelGen = nil, "", "", 0
}

// State is what the dashboard currently shows as the server's state.
func (m Model) State() string { return m.state }

// Stopped reports whether the runner closed its events.
func (m Model) Stopped() bool { return m.stopped }

// header is the fixed block above the request log.
func (m Model) header() []string {
	st := m.st
	label := m.state
	switch m.state {
	case StateBuilding, StateStarting, StateBuildFailed, StateStartFailed, StateCrashed:
		if m.stateGen > 0 {
			label += fmt.Sprintf(" · generation %d", m.stateGen)
		}
	}
	state := st.stateStyle(m.state).Render("● " + label)
	switch {
	case m.serving && m.state == StateRunning:
		state += st.dim.Render(fmt.Sprintf("  generation %d · pid %d", m.gen, m.pid))
	case m.serving:
		state += st.dim.Render(fmt.Sprintf("  (generation %d serving · pid %d)", m.gen, m.pid))
	}
	lines := []string{
		st.title.Render("mcpctl dev") + "  " + state,
		st.label.Render("URL") + m.url,
		st.label.Render("Auth") + m.authLine(),
	}
	build := "–"
	switch {
	case m.buildGen > 0 && m.buildOK:
		build = fmt.Sprintf("generation %d built in %s", m.buildGen, m.lastBuild.Round(time.Millisecond))
	case m.buildGen > 0:
		build = fmt.Sprintf("generation %d failed to compile in %s", m.buildGen, m.lastBuild.Round(time.Millisecond))
	}
	counts := " · " + count(m.reloads, "reload", "reloads")
	if m.restarts > 0 {
		counts += " · " + count(m.restarts, "restart", "restarts") + " after a crash"
	}
	lines = append(lines, st.label.Render("Build")+build+st.dim.Render(counts))
	if m.play != "" {
		lines = append(lines, st.label.Render("Play")+m.play+st.dim.Render("  (o: open in the browser)"))
	}
	if m.surface != nil {
		lines = append(lines, m.surfaceLines()...)
	}
	// The last crash, unless the panel below is showing it anyway.
	if c := m.lastCrash; c != nil && (m.showCrash || m.panelKind == panelBuild || m.panelGen != c.gen) {
		lines = append(lines, st.label.Render("Crash")+st.bad.Render(fmt.Sprintf("%s generation %d: %s", c.at.Format("15:04:05"), c.gen, c.status))+
			st.dim.Render("  (l: show output · c: clear)"))
	}
	width := max(m.width, 20)
	for _, n := range append(slices.Clone(m.toolNotes), m.notices...) {
		for _, l := range wrap("! "+n, width, "  ") {
			lines = append(lines, st.warn.Render(l))
		}
	}
	return lines
}

func (m Model) authLine() string {
	a := m.auth
	switch {
	case a.Mode == "" && a.Header == "":
		return m.st.dim.Render("–")
	case a.Header == "":
		return a.Mode + m.st.dim.Render(" (no header needed)")
	case a.Mode == "apikey" && a.Value == "":
		return a.Header + ": " + m.st.warn.Render("no key set (MCP_API_KEY in .env)")
	case a.Mode == "apikey" && !m.showKey:
		return a.Header + ": " + keys.Mask(a.Value) + m.st.dim.Render("  (k: show)")
	case a.Mode == "apikey":
		return a.Header + ": " + a.Value + m.st.dim.Render("  (k: hide)")
	default:
		return a.Header + ": " + a.Value
	}
}

func (m Model) footer() string {
	keys := "r rebuild · c clear · "
	if m.play != "" {
		keys += "o playground · "
	}
	if m.lastCrash != nil {
		keys += "l last crash · "
	}
	return m.st.dim.Render(keys + "k show/hide key · ↑/↓ scroll · q quit")
}

// maxSurfaceLines bounds the tool changes shown under the header; the playground has all.
const maxSurfaceLines = 6

// surfaceLines say how the tools changed with the last reload, breaking changes first.
func (m Model) surfaceLines() []string {
	st, s := m.st, m.surface
	switch {
	case s.Err != "":
		return []string{st.label.Render("Tools") + st.warn.Render(fmt.Sprintf("generation %d: %s", s.Gen, s.Err))}
	case s.First || len(s.Lines) == 0:
		return []string{st.label.Render("Tools") + fmt.Sprintf("%d %s", s.Tools, plural(s.Tools, "tool", "tools")) + st.dim.Render(fmt.Sprintf(" (generation %d)", s.Gen))}
	}
	style := st.ok
	if s.Breaking {
		style = st.bad
	}
	lines := []string{st.label.Render("Tools") + style.Render(fmt.Sprintf("generation %d: %s", s.Gen, s.Summary))}
	changes := slices.Clone(s.Lines)
	slices.SortStableFunc(changes, func(a, b string) int {
		return boolRank(strings.HasSuffix(b, "(breaking)")) - boolRank(strings.HasSuffix(a, "(breaking)"))
	})
	width := max(m.width, 20)
	for i, l := range changes {
		if i == maxSurfaceLines-1 && len(changes) > maxSurfaceLines {
			lines = append(lines, st.dim.Render(fmt.Sprintf("         … %d more (o: the playground shows all)", len(changes)-i)))
			break
		}
		ls := st.dim
		if strings.HasSuffix(l, "(breaking)") {
			ls = st.bad
		}
		for _, w := range wrap("         "+l, width, "           ") {
			lines = append(lines, ls.Render(w))
		}
	}
	return lines
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// panelLines is the problem panel (or, after l, the last crash's output), wrapped to the
// window so that no compile error loses its end.
func (m Model) panelLines() []string {
	title, body := m.panelTitle, m.panel
	if c := m.lastCrash; m.showCrash && c != nil {
		title = fmt.Sprintf("Last crash: generation %d at %s: %s", c.gen, c.at.Format("15:04:05"), c.status)
		body = c.tail
		if len(body) == 0 {
			body = []string{"(no output on stderr, request log lines aside)"}
		}
	}
	if title == "" {
		return nil
	}
	width := max(m.width, 20)
	var lines []string
	for _, l := range wrap(title, width, "  ") {
		lines = append(lines, m.st.errTitle.Render(l))
	}
	var wrapped []string
	for _, l := range body {
		wrapped = append(wrapped, wrap("  "+l, width, "      ")...)
	}
	limit := max(m.height/3, 3)
	if len(wrapped) > limit {
		wrapped = append(wrapped[:limit-1:limit-1], fmt.Sprintf("  … %d more lines", len(wrapped)-limit+1))
	}
	for _, l := range wrapped {
		lines = append(lines, m.st.errText.Render(l))
	}
	return lines
}

// logRows is how many request lines fit between header, panel and footer.
func (m Model) logRows() int {
	used := len(m.header()) + 1 + 1 + 1 + 1 // blank, log title, blank, footer
	if p := m.panelLines(); len(p) > 0 {
		used += len(p) + 1
	}
	return max(m.height-used, 1)
}

// View renders the dashboard.
func (m Model) View() string {
	var lines []string
	lines = append(lines, m.header()...)
	lines = append(lines, "")
	title := "Requests"
	if m.scroll > 0 {
		title += fmt.Sprintf(" (scrolled back %d · end: follow)", m.scroll)
	}
	lines = append(lines, m.st.section.Render(title))
	rows := m.logRows()
	end := len(m.log) - m.scroll
	start := max(end-rows, 0)
	if len(m.log) == 0 {
		lines = append(lines, m.st.dim.Render("  no requests yet: point a client at "+m.url))
		rows--
	}
	for _, r := range m.log[start:end] {
		lines = append(lines, m.requestLine(r))
	}
	for i := end - start; i < rows; i++ {
		lines = append(lines, "")
	}
	if p := m.panelLines(); len(p) > 0 {
		lines = append(lines, "")
		lines = append(lines, p...)
	}
	lines = append(lines, "", m.footer())
	for i, l := range lines {
		lines[i] = truncate(l, m.width)
	}
	return strings.Join(lines, "\n")
}

// Request log columns: time, HTTP method, RPC method or path, tool, status, duration.
const (
	colWhat = 26
	colTool = 22
	// fixedCols is every cell but the RPC method and tool columns:
	// "  15:04:05  POST   " + " " + " 200 " + "%8s".
	fixedCols = 2 + 8 + 2 + 6 + 1 + 1 + 1 + 3 + 1 + 8
)

func (m Model) requestLine(r runner.Request) string {
	what := r.RPCMethod
	if what == "" {
		what = r.Path
	}
	status := fmt.Sprintf("%d", r.Status)
	if r.Status >= 400 {
		status = m.st.warn.Render(status)
	}
	// Narrow windows take from the tool column, then the method column, so the status
	// and duration at the end of the line stay whole.
	whatW, toolW := colWhat, colTool
	if over := fixedCols + whatW + toolW - m.width; over > 0 {
		cut := min(over, toolW-8)
		toolW -= cut
		whatW = max(whatW-(over-cut), 8)
	}
	return fmt.Sprintf("  %s  %-6s %-*s %-*s %s %8s",
		r.Time.Format("15:04:05"), r.HTTPMethod, whatW, clip(what, whatW), toolW, clip(r.Tool, toolW), status, r.Duration.Round(100*time.Microsecond))
}

// clip keeps a column to its width, so a long path does not push the others right.
func clip(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// wrap breaks s into lines of at most width cells, at spaces where it can; lines after
// the first start with indent. Tabs (go's continuation lines) become spaces first: a
// terminal's tab stops are not cells lipgloss can count.
func wrap(s string, width int, indent string) []string {
	s = strings.ReplaceAll(s, "\t", "    ")
	lines := strings.Split(ansi.Wrap(s, max(width-len(indent), 1), ""), "\n")
	for i := 1; i < len(lines); i++ {
		lines[i] = indent + strings.TrimLeft(lines[i], " ")
	}
	return lines
}

// truncate cuts a (possibly styled) line to width cells.
func truncate(s string, width int) string {
	if width <= 0 || lipgloss.Width(s) <= width {
		return s
	}
	return lipgloss.NewStyle().MaxWidth(width).Render(s)
}

type styles struct {
	title, label, dim, warn, section, errTitle, errText lipgloss.Style
	ok, busy, bad                                       lipgloss.Style
}

func newStyles(r *lipgloss.Renderer) styles {
	return styles{
		title:    r.NewStyle().Bold(true),
		label:    r.NewStyle().Width(9).Foreground(lipgloss.Color("8")),
		dim:      r.NewStyle().Foreground(lipgloss.Color("8")),
		warn:     r.NewStyle().Foreground(lipgloss.Color("3")),
		section:  r.NewStyle().Bold(true).Underline(true),
		errTitle: r.NewStyle().Bold(true).Foreground(lipgloss.Color("1")),
		errText:  r.NewStyle().Foreground(lipgloss.Color("1")),
		ok:       r.NewStyle().Foreground(lipgloss.Color("2")),
		busy:     r.NewStyle().Foreground(lipgloss.Color("3")),
		bad:      r.NewStyle().Foreground(lipgloss.Color("1")),
	}
}

func (s styles) stateStyle(state string) lipgloss.Style {
	switch state {
	case StateRunning:
		return s.ok
	case StateBuildFailed, StateStartFailed, StateCrashed:
		return s.bad
	default:
		return s.busy
	}
}

// count is "1 reload", "2 reloads".
func count(n int, one, many string) string {
	return fmt.Sprintf("%d %s", n, plural(n, one, many))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
