package mcpwire

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestEventReader(t *testing.T) {
	in := "id: 1\ndata: {\"a\":1}\n\n: keep-alive\n\nevent: message\r\ndata: x\r\ndata: y\r\n\r\nevent: endpoint\ndata\n\n" + "data: " + strings.Repeat("z", 200) + "\n\npartial"
	r := NewEventReader(strings.NewReader(in), 1<<10)
	r.br = bufio.NewReaderSize(strings.NewReader(in), 16) // long lines span reads
	var got []Event
	for {
		ev, err := r.Next()
		if len(ev.Raw) > 0 {
			got = append(got, ev)
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
	}
	var raws []string
	for _, ev := range got {
		raws = append(raws, string(ev.Raw))
	}
	want := []string{"id: 1\ndata: {\"a\":1}\n\n", ": keep-alive\n\n", "event: message\r\ndata: x\r\ndata: y\r\n\r\n", "event: endpoint\ndata\n\n", "data: " + strings.Repeat("z", 200) + "\n\n", "partial"}
	if strings.Join(raws, "|") != strings.Join(want, "|") {
		t.Fatalf("events %q", raws)
	}
	if e := got[0]; e.ID != "1" || !e.HasID || string(e.Data) != `{"a":1}` || !e.IsMessage() {
		t.Errorf("first: %+v", e)
	}
	if e := got[1]; e.HasData || e.HasID || e.Name != "" || e.IsMessage() {
		t.Errorf("a keep-alive has fields: %+v", e)
	}
	if e := got[2]; string(e.Data) != "x\ny" || e.Name != "message" || !e.IsMessage() {
		t.Errorf("third: %+v", e)
	}
	if e := got[3]; e.Name != "endpoint" || !e.HasData || len(e.Data) != 0 || e.IsMessage() {
		t.Errorf("named event: %+v", e)
	}
	if e := got[4]; len(e.Data) != 200 {
		t.Errorf("long line: %d bytes of data", len(e.Data))
	}
	_, err := NewEventReader(strings.NewReader(strings.Repeat("d", 100)+"\n\n"), 10).Next()
	if !errors.Is(err, ErrEventTooLarge) || !errors.Is(err, bufio.ErrTooLong) {
		t.Errorf("oversized event: %v", err)
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1:8000": true, "localhost:8000": true, "localhost": true, "LocalHost": true, "[::1]:80": true,
		"::1": true, "[::1]": true, "127.1.2.3": true, "example.com": false, "evil.localhost.example:8000": false,
		"app.localhost": false, "10.0.0.1:80": false, "": false,
	} {
		if got := IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v", host, got)
		}
	}
}

func TestPeek(t *testing.T) {
	m, ok := Peek([]byte(` [{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"hi"}}]`))
	if !ok || m.Method != "tools/call" || m.Tool() != "hi" || !m.HasID([]byte("2")) || m.IsResponse() {
		t.Errorf("batch: %+v %v", m, ok)
	}
	m, ok = Peek([]byte(`{"jsonrpc":"2.0","id":"a","error":{"code":-32601,"message":"no"}}`))
	if !ok || !m.IsResponse() || m.Error.Code != -32601 || m.Tool() != "" {
		t.Errorf("error reply: %+v %v", m, ok)
	}
	if _, ok := Peek([]byte("not json")); ok {
		t.Error("not json peeked")
	}
}

func TestMediaType(t *testing.T) {
	if got := MediaType(" Text/Event-Stream; charset=utf-8"); got != MediaSSE {
		t.Errorf("got %q", got)
	}
}
