package cmd

import (
	"context"
	"strings"
	"testing"
)

// Commands with subcommands show one usage line, not their own run line as well.
func TestOneUsageLine(t *testing.T) {
	for _, args := range [][]string{{"keys", "--help"}, {"deploy", "--help"}, {"--help"}, {"dev", "--help"}} {
		f, out, _, _ := testFactory(t, t.TempDir())
		if err := execute(t, f, args...); err != nil {
			t.Fatal(err)
		}
		usage := strings.SplitN(out.String(), "Usage:\n", 2)
		if len(usage) != 2 {
			t.Fatalf("%v: no usage:\n%s", args, out)
		}
		block := strings.SplitN(usage[1], "\n\n", 2)[0]
		if n := strings.Count(block, "\n") + 1; n != 1 {
			t.Errorf("%v: %d usage lines:\n%s", args, n, block)
		}
	}
}

// A usage error names the failing command's own --help.
func TestUsageErrorNamesTheCommandsHelp(t *testing.T) {
	for args, want := range map[string]string{
		"keys new --bogus": "Run 'mcpctl keys new --help' for usage.",
		"deploy herok":     "Run 'mcpctl deploy --help' for usage.",
		"bogus":            "Run 'mcpctl --help' for usage.",
	} {
		f, _, _, _ := testFactory(t, t.TempDir())
		root := NewRootCmd(f)
		root.SetArgs(strings.Fields(args))
		c, err := root.ExecuteContextC(context.Background())
		if !IsUsageError(err) && !IsUnknownCommand(err) {
			t.Errorf("%s: %v, want a usage error", args, err)
		}
		if got := HelpHint(c); got != want {
			t.Errorf("%s: %q, want %q", args, got, want)
		}
	}
}

func TestDidYouMean(t *testing.T) {
	for _, tc := range []struct {
		name    string
		choices []string
		want    string
	}{
		{"herok", []string{"heroku"}, " (did you mean heroku?)"},
		{"cursr", []string{"cursor", "codex"}, " (did you mean cursor?)"},
		{"claude", []string{"cursor", "claude-code", "claude-desktop"}, " (did you mean claude-code?)"},
		{"VSCode", []string{"vscode"}, " (did you mean vscode?)"},
		{"fly", []string{"heroku"}, ""},
	} {
		if got := didYouMean(tc.name, tc.choices); got != tc.want {
			t.Errorf("didYouMean(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	f, _, _, _ := testFactory(t, t.TempDir())
	if err := execute(t, f, "connect", "cursr"); err == nil || !strings.Contains(err.Error(), "did you mean cursor?") {
		t.Errorf("connect cursr: %v", err)
	}
	if err := execute(t, f, "deploy", "herok"); err == nil || !strings.Contains(err.Error(), "did you mean heroku?") {
		t.Errorf("deploy herok: %v", err)
	}
}
