package cmd

import (
	"errors"
	"fmt"
)

// FlagError is a usage error: wrong flags or arguments. It exits with status 2.
type FlagError struct{ err error }

func (e *FlagError) Error() string { return e.err.Error() }
func (e *FlagError) Unwrap() error { return e.err }

// FlagErrorf returns a usage error.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{err: fmt.Errorf(format, args...)}
}

// Hinter is an error that knows the next thing the user should do.
type Hinter interface {
	Hint() string
}

// ErrSilent is returned by commands that have already told the user what went wrong.
var ErrSilent = errors.New("silent error")

// IsUsageError reports whether err should exit with the usage status.
func IsUsageError(err error) bool {
	var fe *FlagError
	return errors.As(err, &fe)
}

// ErrCancelled is the user backing out of a prompt; nothing was changed.
var ErrCancelled = errors.New("cancelled; nothing was written")
