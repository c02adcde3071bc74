// Package deployui shows a deploy in a terminal: each phase with a spinner while it runs
// and a tick when done, and the last lines of the build output under it. It is a view over
// the deployer's events only; without a terminal the command prints the same events as
// lines instead.
package deployui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/mcpctl/mcpctl/deployers"
)

// tailLines is how much of the build output stays on screen.
const tailLines = 8

// Output is one line of build output.
type Output string

// Done ends the view; Err is the deploy's result.
type Done struct{ Err error }

type phase struct {
	name    string
	done    bool
	failed  bool // a later phase started before this one finished (verify → rollback)
	message string
	notes   []string
}

// Model is the deploy view. Messages arrive on the channel given to New: deployers.Event,
// Output and, last, Done.
type Model struct {
	msgs    <-chan any
	spinner spinner.Model
	phases  []phase
	tail    []string
	done    bool
	failed  bool
	dim     lipgloss.Style
	ok      lipgloss.Style
	bad     lipgloss.Style
}

// New returns a view fed by msgs. r styles the output (nil: lipgloss's default).
func New(msgs <-chan any, r *lipgloss.Renderer) Model {
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	sp := spinner.New(spinner.WithSpinner(spinner.Dot))
	return Model{
		msgs:    msgs,
		spinner: sp,
		dim:     r.NewStyle().Faint(true),
		ok:      r.NewStyle().Foreground(lipgloss.Color("2")),
		bad:     r.NewStyle().Foreground(lipgloss.Color("1")),
	}
}

func (m Model) next() tea.Msg {
	msg, ok := <-m.msgs
	if !ok {
		return Done{}
	}
	return msg
}

// Init starts the spinner and waits for the first message.
func (m Model) Init() tea.Cmd { return tea.Batch(m.spinner.Tick, m.next) }

// Update applies one message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case deployers.Event:
		m.apply(msg)
		return m, m.next
	case Output:
		m.tail = append(m.tail, string(msg))
		if len(m.tail) > tailLines {
			m.tail = m.tail[len(m.tail)-tailLines:]
		}
		return m, m.next
	case Done:
		m.done, m.failed = true, msg.Err != nil
		return m, tea.Quit
	case tea.KeyMsg:
		if msg.String() == "ctrl+c" {
			return m, tea.Interrupt
		}
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.spinner, cmd = m.spinner.Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m *Model) apply(e deployers.Event) {
	i := len(m.phases) - 1
	if i < 0 || m.phases[i].name != e.Phase {
		if i >= 0 && !m.phases[i].done {
			m.phases[i].failed = true
		}
		m.phases = append(m.phases, phase{name: e.Phase})
		i++
		m.tail = nil
	}
	switch {
	case e.Done:
		m.phases[i].done, m.phases[i].message = true, e.Message
	case e.Message != "":
		m.phases[i].notes = append(m.phases[i].notes, e.Message)
	}
}

// View renders the phases with their notes, and the output tail of the running phase.
func (m Model) View() string {
	var b strings.Builder
	for i, p := range m.phases {
		label := p.name
		if p.message != "" {
			label += m.dim.Render(" · " + p.message)
		}
		switch {
		case p.done:
			fmt.Fprintf(&b, "%s %s\n", m.ok.Render("✓"), label)
		case p.failed || (m.done && m.failed && i == len(m.phases)-1):
			fmt.Fprintf(&b, "%s %s\n", m.bad.Render("✗"), label)
		case m.done:
			fmt.Fprintf(&b, "  %s\n", label)
		default:
			fmt.Fprintf(&b, "%s %s\n", m.spinner.View(), label)
		}
		for _, n := range p.notes {
			fmt.Fprintf(&b, "    %s\n", m.dim.Render(n))
		}
		if !p.done && !m.done {
			for _, l := range m.tail {
				fmt.Fprintf(&b, "    %s\n", m.dim.Render(l))
			}
		}
	}
	return b.String()
}
