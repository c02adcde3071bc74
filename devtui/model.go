// Package devtui renders the `mcpctl dev` loop: a bubbletea dashboard for terminals and a
// plain line printer for everything else. Both are views over runner events and hold no
// logic of their own: what they show is what the last events said.
package devtui

import (
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/mcpctl/mcpctl/keys"
	"github.com/mcpctl/mcpctl/runner"
)

// States the dashboard shows.
const (
	StateStarting    = "starting"
	StateBuilding    = "building"
	StateRunning     = "running"
	StateBuildFailed = "build failed"
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
}

// EventMsg carries one runner event into Update.
type EventMsg struct{ Event runner.Event }

// closedMsg: the runner stopped and closed its event channel.
type closedMsg struct{}

// Model is the dashboard. Its zero value is not usable; call New.
type Model struct {
	events  <-chan runner.Event
	rebuild func()
	st      styles

	url        string
	auth       runner.Auth
	showKey    bool
	state      string
	serving    bool // some generation answers requests (also while a build failed)
	gen, pid   int
	lastBuild  time.Duration
	reloads    int
	log        []runner.Request
	scroll     int // entries scrolled back from the newest
	panelTitle string
	panel      []string
	panelKind  string // "build" or "crash": which event may clear the panel
	notice     string // the last runner.Error
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
		m.log, m.scroll = nil, 0
	case "k":
		m.showKey = !m.showKey
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
		m.state = StateBuilding
	case runner.BuildSucceeded:
		m.lastBuild = ev.Duration
		if m.panelKind == "build" {
			m.clearPanel()
		}
	case runner.BuildFailed:
		m.state = StateBuildFailed
		m.lastBuild = ev.Duration
		m.panelKind = "build"
		m.panelTitle = fmt.Sprintf("Build failed (%d %s)", len(ev.Errors), plural(len(ev.Errors), "error", "errors"))
		if m.serving {
			m.panelTitle += " · still serving the last good build"
		}
		m.panel = nil
		for _, e := range ev.Errors {
			m.panel = append(m.panel, strings.Split(e.String(), "\n")...)
		}
		if len(ev.Errors) == 0 {
			m.panelTitle = "Build failed"
			m.panel = strings.Split(strings.TrimSpace(ev.Output), "\n")
		}
	case runner.ChildStarted:
		m.url, m.auth = ev.URL, ev.Auth
	case runner.Ready:
		m.state, m.serving = StateRunning, true
		m.gen, m.pid, m.reloads = ev.Gen, ev.PID, ev.Reloads
		if m.panelKind != "" {
			m.clearPanel()
		}
	case runner.ChildExited:
		if !ev.Crashed {
			break
		}
		if ev.Gen == m.gen {
			m.serving = false
		}
		if !m.serving {
			m.state = StateCrashed
		}
		m.panelKind = "crash"
		m.panelTitle = fmt.Sprintf("Generation %d crashed: %s", ev.Gen, ev.Status)
		if ev.RestartIn > 0 {
			m.panelTitle += fmt.Sprintf(" · restarting in %s", ev.RestartIn.Round(time.Millisecond))
		}
		m.panel = append([]string(nil), ev.StderrTail...)
	case runner.Request:
		m.log = append(m.log, ev)
		if len(m.log) > maxLogEntries {
			m.log = m.log[len(m.log)-maxLogEntries:]
		}
		if m.scroll > 0 { // keep the lines being read in place
			m.scroll = min(m.scroll+1, len(m.log)-1)
		}
	case runner.Error:
		m.notice = ev.Err.Error()
	}
	return m
}

func (m *Model) clearPanel() {
	m.panel, m.panelTitle, m.panelKind = nil, "", ""
}

// State is what the dashboard currently shows as the server's state.
func (m Model) State() string { return m.state }

// Stopped reports whether the runner closed its events.
func (m Model) Stopped() bool { return m.stopped }

// header is the fixed block above the request log.
func (m Model) header() []string {
	st := m.st
	state := st.stateStyle(m.state).Render("● " + m.state)
	if m.gen > 0 && m.serving {
		state += st.dim.Render(fmt.Sprintf("  generation %d · pid %d", m.gen, m.pid))
	}
	lines := []string{
		st.title.Render("mcpctl dev") + "  " + state,
		st.label.Render("URL") + m.url,
		st.label.Render("Auth") + m.authLine(),
	}
	build := "–"
	if m.lastBuild > 0 {
		build = "last build " + m.lastBuild.Round(time.Millisecond).String()
	}
	reloads := fmt.Sprintf(" · %d reloads", m.reloads)
	if m.reloads == 1 {
		reloads = " · 1 reload"
	}
	lines = append(lines, st.label.Render("Build")+build+st.dim.Render(reloads))
	if m.notice != "" {
		lines = append(lines, st.warn.Render("! "+m.notice))
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
	return m.st.dim.Render("r rebuild · c clear log · k show/hide key · ↑/↓ scroll · q quit")
}

func (m Model) panelLines() []string {
	if m.panelTitle == "" {
		return nil
	}
	lines := []string{m.st.errTitle.Render(m.panelTitle)}
	limit := max(m.height/3, 3)
	body := m.panel
	if len(body) > limit {
		body = append(body[:limit-1:limit-1], fmt.Sprintf("… %d more lines", len(m.panel)-limit+1))
	}
	for _, l := range body {
		lines = append(lines, m.st.errText.Render("  "+l))
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

func (m Model) requestLine(r runner.Request) string {
	what := r.RPCMethod
	if what == "" {
		what = r.Path
	}
	status := fmt.Sprintf("%d", r.Status)
	if r.Status >= 400 {
		status = m.st.warn.Render(status)
	}
	return fmt.Sprintf("  %s  %-6s %-26s %-22s %s %8s",
		r.Time.Format("15:04:05"), r.HTTPMethod, clip(what, 26), clip(r.Tool, 22), status, r.Duration.Round(100*time.Microsecond))
}

// clip keeps a column to its width, so a long path does not push the others right.
func clip(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
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
	case StateBuildFailed, StateCrashed:
		return s.bad
	default:
		return s.busy
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
