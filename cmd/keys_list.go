package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/mcpctl/mcpctl/keys"
)

func newKeysListCmd(opts *keysOptions, run func(*keysOptions) func(*cobra.Command, []string) error) *cobra.Command {
	c := &cobra.Command{
		Use:     "list",
		Short:   "List keys: name, fingerprint, creation, where active",
		Example: "  mcpctl keys list\n  mcpctl keys list --json",
		Args:    noArgs, RunE: run(opts),
	}
	c.Flags().BoolVar(&opts.JSON, "json", false, "print as JSON")
	return c
}

// runKeysList lists the keys of .env and those the app accepts.
func runKeysList(ctx context.Context, opts *keysOptions, kp *keysProject) error {
	store, project, out := kp.store, kp.project, opts.IO.Out
	list, err := store.List(ctx)
	if err != nil {
		return err
	}
	if opts.JSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			SchemaVersion int        `json:"schema_version"`
			App           string     `json:"app,omitempty"`
			Keys          []keys.Key `json:"keys"`
		}{1, deployedName(project), orEmpty(list)})
	}
	if len(list) == 0 {
		fmt.Fprintln(out, "No keys in .env. Create one with `mcpctl keys new`.")
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tFINGERPRINT\tCREATED\tVARIABLE\tACTIVE")
	unknown := 0
	for _, k := range list {
		created := "unknown"
		if !k.Created.IsZero() {
			created = k.Created.Format(time.DateTime)
		}
		switch k.State {
		case "unknown":
			unknown++
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", "unknown", "unknown", k.Fingerprint, "-", "- (not in this .env)", deployedName(project))
			continue
		case "revoking":
			where := "no longer on " + deployedName(project)
			if k.Deployed == nil {
				where = "local"
			} else if *k.Deployed {
				where = "STILL ACCEPTED by " + deployedName(project) + ": run `mcpctl keys rotate" + nameSuffix(k.Name) + "` to finish"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.Name, k.State, k.Fingerprint, "-", k.Var, where)
			continue
		}
		active := "local"
		if k.Deployed != nil {
			if *k.Deployed {
				active += ", " + deployedName(project)
			} else {
				active += " (not on " + deployedName(project) + ")"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.Name, k.State, k.Fingerprint, created, k.Var, active)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if unknown > 0 {
		fmt.Fprintf(out, "\nUnknown: the app accepts %d key(s) this .env does not hold (a teammate's, CI's, another clone's).\nmcpctl keeps them; `--drop-unknown` on keys new/rotate/revoke or deploy (--drop-unknown-keys) removes them.\n", unknown)
	}
	return nil
}

func orEmpty(list []keys.Key) []keys.Key {
	if list == nil {
		return []keys.Key{}
	}
	return list
}
