package mcpwire

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// Event is one server-sent event.
type Event struct {
	// Raw is the event as it was sent, up to and including the blank line that ends it,
	// for a proxy that passes it on unchanged.
	Raw []byte
	// Name is the event field ("" for the default, "message").
	Name string
	// ID is the id field, "" when the event has none; HasID tells an empty id from none.
	ID    string
	HasID bool
	// Data is the data lines joined by newlines; HasData tells empty data from none.
	Data    []byte
	HasData bool
}

// IsMessage reports whether the event carries a message: data, under the default name.
func (e Event) IsMessage() bool { return e.HasData && (e.Name == "" || e.Name == "message") }

// ErrEventTooLarge is an event that reaches the reader's limit. It matches
// bufio.ErrTooLong too.
var ErrEventTooLarge = tooLarge{}

type tooLarge struct{}

func (tooLarge) Error() string        { return "SSE event too large" }
func (tooLarge) Is(target error) bool { return target == bufio.ErrTooLong }

// EventReader reads server-sent events one at a time.
type EventReader struct {
	br    *bufio.Reader
	limit int
}

// NewEventReader reads events from r; an event of limit bytes or more is an error (as a
// line is to a bufio.Scanner whose buffer is limit bytes).
func NewEventReader(r io.Reader, limit int) *EventReader {
	return &EventReader{br: bufio.NewReaderSize(r, min(limit, 64<<10)), limit: limit}
}

// Next returns the next event, comments (keep-alives) and stray blank lines included: an
// event of those only has no fields set. At the end of the stream it returns what it has
// of an unfinished event, and io.EOF (or the read error).
func (r *EventReader) Next() (Event, error) {
	var ev Event
	var data [][]byte
	finish := func() Event {
		if ev.HasData {
			ev.Data = bytes.Join(data, []byte("\n"))
		}
		return ev
	}
	start := 0 // where the line being read starts in ev.Raw
	for {
		chunk, err := r.br.ReadSlice('\n')
		ev.Raw = append(ev.Raw, chunk...)
		if len(ev.Raw) >= r.limit {
			return Event{}, ErrEventTooLarge
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue // a long line: gather it whole
		}
		line := bytes.TrimRight(ev.Raw[start:], "\r\n")
		start = len(ev.Raw)
		switch {
		case err != nil:
			if len(line) > 0 {
				field(&ev, &data, line)
			}
			return finish(), err
		case len(line) == 0:
			return finish(), nil
		}
		field(&ev, &data, line)
	}
}

func field(ev *Event, data *[][]byte, line []byte) {
	name, value, _ := bytes.Cut(line, []byte(":"))
	value = bytes.TrimPrefix(value, []byte(" "))
	switch string(name) {
	case "": // a comment
	case "data":
		ev.HasData = true
		*data = append(*data, append([]byte(nil), value...))
	case "event":
		ev.Name = string(value)
	case "id":
		ev.ID, ev.HasID = string(value), true
	}
}
