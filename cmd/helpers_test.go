package cmd

import (
	"context"
	"testing"

	"github.com/spf13/cobra"
)

// parsedOptions runs the command newCmd makes on args (the whole command line, from the
// verb), with a run function that only keeps its options, and returns them. With
// wantUsage the arguments must be refused as a usage error; it returns nil then, and
// when the test already failed.
func parsedOptions[O any](t *testing.T, newCmd func(*Factory, func(context.Context, *O) error) *cobra.Command, wantUsage bool, args ...string) *O {
	t.Helper()
	f, _, _, _ := testFactory(t, t.TempDir())
	var got *O
	err := executeWith(t, f, newCmd(f, func(_ context.Context, o *O) error { got = o; return nil }), args...)
	if wantUsage {
		if !IsUsageError(err) {
			t.Errorf("%v: got %v, want a usage error", args, err)
		}
		return nil
	}
	if err != nil || got == nil {
		t.Errorf("%v: %v", args, err)
		return nil
	}
	return got
}
