package cmd

import (
	"fmt"
	"time"

	"github.com/mcpctl/mcpctl/deployers/heroku"
	"github.com/mcpctl/mcpctl/executor"
	"github.com/mcpctl/mcpctl/iostreams"
)

// herokuTimeoutEnv overrides the bound of each heroku call (not of a push).
const herokuTimeoutEnv = "MCPCTL_HEROKU_TIMEOUT"

// newHerokuClient is the Heroku client of the commands that change keys: each call is
// bounded, and one that takes a while says so on stderr.
func newHerokuClient(io *iostreams.IOStreams, exec executor.Executor, getenv func(string) string, dir, app string) *heroku.Client {
	c := &heroku.Client{Exec: exec, Dir: dir, AppName: app, Timeout: herokuTimeout(getenv)}
	c.Waiting = func(call string, elapsed time.Duration) {
		fmt.Fprintf(io.ErrOut, "Waiting for `%s` (%s)…\n", call, elapsed)
	}
	return c
}

// herokuTimeout reads MCPCTL_HEROKU_TIMEOUT; zero (the client's default) when unset or
// not a positive duration.
func herokuTimeout(getenv func(string) string) time.Duration {
	if getenv == nil {
		return 0
	}
	d, err := time.ParseDuration(getenv(herokuTimeoutEnv))
	if err != nil || d <= 0 {
		return 0
	}
	return d
}
