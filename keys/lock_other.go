//go:build !unix

package keys

import "context"

// lock is a no-op where flock does not exist (Windows): concurrent key changes in one
// project are not guarded there.
func lock(context.Context, string) (func(), error) { return func() {}, nil }
