package cmd

import (
	"context"
	"testing"
)

func TestKeysFlags(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		verb  string
		name  string
		prev  bool
		now   bool
		usage bool
	}{
		{args: []string{"keys", "new", "--name", "ci"}, verb: "new", name: "ci"},
		{args: []string{"keys", "rotate", "--now"}, verb: "rotate", now: true},
		{args: []string{"keys", "revoke", "alice"}, verb: "revoke", name: "alice"},
		{args: []string{"keys", "revoke", "--previous", "--name", "ci"}, verb: "revoke", name: "ci", prev: true},
		{args: []string{"keys", "revoke"}, usage: true},
		{args: []string{"keys", "revoke", "alice", "--previous"}, usage: true},
		{args: []string{"keys", "new", "--name", "Bad_Name"}, usage: true},
		{args: []string{"keys", "list", "extra"}, usage: true},
		{args: []string{"keys", "frobnicate"}, usage: true},
		{args: []string{"keys"}, usage: true},
	} {
		f, _, _, _ := testFactory(t, t.TempDir())
		var got *keysOptions
		root := NewRootCmd(f)
		for _, c := range root.Commands() {
			if c.Name() == "keys" {
				root.RemoveCommand(c)
			}
		}
		root.AddCommand(newKeysCmd(f, func(_ context.Context, o *keysOptions) error { got = o; return nil }))
		root.SetArgs(tc.args)
		err := root.Execute()
		if tc.usage {
			if !IsUsageError(err) {
				t.Errorf("%v: got %v, want a usage error", tc.args, err)
			}
			continue
		}
		if err != nil || got == nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		if got.Verb != tc.verb || got.Name != tc.name || got.Previous != tc.prev || got.Now != tc.now {
			t.Errorf("%v: options %+v", tc.args, got)
		}
	}
}

func TestKeysOutsideAProject(t *testing.T) {
	f, _, _, _ := testFactory(t, t.TempDir())
	if err := execute(t, f, "keys", "list"); err == nil || IsUsageError(err) {
		t.Fatalf("got %v, want a failure that names mcpctl.toml", err)
	}
}
