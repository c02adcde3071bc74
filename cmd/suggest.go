package cmd

import (
	"strings"

	"github.com/agnivade/levenshtein"
	"github.com/spf13/cobra"
)

// didYouMean is " (did you mean X?)" for the choice closest to name, when one is close
// enough to be a typo or a prefix of it; "" otherwise.
func didYouMean(name string, choices []string) string {
	best, bestDist := "", 3 // at most two edits, as cobra suggests commands
	lower := strings.ToLower(name)
	for _, c := range choices {
		if lower != "" && strings.HasPrefix(c, lower) {
			return " (did you mean " + c + "?)"
		}
		if d := levenshtein.ComputeDistance(lower, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?)"
}

// usageTemplate is cobra's, with one usage line per command: a command with subcommands
// shows `CMD <command>`, not also its own (never used) run line.
func usageTemplate(root *cobra.Command) string {
	t := root.UsageTemplate()
	const twoLines = `Usage:{{if .Runnable}}
  {{.UseLine}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} [command]{{end}}`
	const oneLine = `Usage:{{if .HasAvailableSubCommands}}
  {{.CommandPath}} <command> [flags]{{else if .Runnable}}
  {{.UseLine}}{{end}}`
	return strings.Replace(t, twoLines, oneLine, 1)
}

// HelpHint is the line printed after a usage error: the failing command's own --help.
func HelpHint(c *cobra.Command) string {
	if c == nil {
		return "Run 'mcpctl --help' for usage."
	}
	return "Run '" + c.CommandPath() + " --help' for usage."
}
