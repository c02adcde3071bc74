package statusmark

import "testing"

func TestMark(t *testing.T) {
	for status, want := range map[string]string{Pass: "✓", Warn: "!", Fail: "✗", Skip: "-"} {
		if got := Mark(status, false); got != want {
			t.Errorf("Mark(%s) = %q, want %q", status, got, want)
		}
	}
	if got := Mark(Fail, true); got != "\x1b[31m✗\x1b[0m" {
		t.Errorf("coloured fail mark %q", got)
	}
}
