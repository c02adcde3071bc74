package heroku

import (
	"context"
	"fmt"
	"strings"
)

// EcoAdvice says what sleeping dynos do to MCP clients.
const EcoAdvice = "eco dynos sleep after 30 minutes without traffic and take seconds to wake; hosted clients such as claude.ai give the first initialize about 10 s, so a waking server fails to connect"

// webDynos returns the size of the web dynos and how many there are ("" when none).
func webDynos(dynos []Dyno) (size string, n int) {
	for _, d := range dynos {
		if d.Type == "web" {
			n++
			if size == "" {
				size = d.Size
			}
		}
	}
	return size, n
}

// sleeps reports dyno sizes that sleep when idle.
func sleeps(size string) bool {
	s := strings.ToLower(size)
	return s == "eco" || s == "free"
}

// Instances says which dyno type the app runs on, and warns about sleeping ones. It is
// information: a failure to read it changes nothing.
func (c *Client) Instances(ctx context.Context) (kind string, notes []string) {
	_, dynos, err := c.Info(ctx)
	if err != nil {
		return "", nil
	}
	size, n := webDynos(dynos)
	if size == "" {
		return "", nil
	}
	notes = append(notes, fmt.Sprintf("web dynos: %d × %s", n, size))
	if sleeps(size) {
		notes = append(notes, fmt.Sprintf("warning: %s; switch with `heroku ps:type web=basic -a %s`", EcoAdvice, c.AppName))
	}
	return size, notes
}
