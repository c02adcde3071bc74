package serverenv

import (
	"cmp"
	"fmt"
	"os"
	"strings"

	"github.com/mcpctl/mcpctl/internal/envfile"
)

// KeyOrder is the one order in which every command looks for a credential, for --help
// texts and the README.
const KeyOrder = "a flag first, then the shell's environment, then the project's .env"

// KeyRequest says where to look for the credential held in the variable Var.
type KeyRequest struct {
	Var string // e.g. MCP_API_KEY
	// Flag is a value given on the command line (--token), and FlagName its flag; with
	// FlagFile (--env-file), Var is read from that file at the same rank.
	Flag, FlagName string
	FlagFile       string
	Getenv         func(string) string // the shell's environment; nil: empty
	EnvFile        string              // the project's .env; "" or absent: skipped
	EnvFileLabel   string              // how messages name EnvFile ("./.env"); default: its path
}

// Key is a credential and where it was found.
type Key struct {
	Value string
	// Source names where the value came from, for messages: "--token",
	// "MCP_API_KEY from the shell's environment", "MCP_API_KEY in /p/.env". Never the value.
	Source string
	// Looked lists every place searched, for the error when nothing was found.
	Looked []string
}

// Found reports whether a value was found.
func (k Key) Found() bool { return k.Value != "" }

// ResolveKey finds the credential in KeyOrder: flag, shell, .env. An empty Key (with
// Looked filled in) means none of them holds it; an error means a file named by a flag
// could not be read, or the project's .env is unreadable.
func ResolveKey(r KeyRequest) (Key, error) {
	var k Key
	if r.Flag != "" {
		return Key{Value: r.Flag, Source: r.FlagName}, nil
	}
	if r.FlagFile != "" {
		if _, err := os.Stat(r.FlagFile); err != nil {
			return k, err
		}
		vars, err := envfile.Read(r.FlagFile)
		if err != nil {
			return k, err
		}
		if v := vars[r.Var]; v != "" {
			return Key{Value: v, Source: r.Var + " in " + r.FlagFile}, nil
		}
		k.Looked = append(k.Looked, r.FlagFile)
	}
	if r.Getenv != nil {
		if v := r.Getenv(r.Var); v != "" {
			return Key{Value: v, Source: r.Var + " from the shell's environment"}, nil
		}
	}
	k.Looked = append(k.Looked, "the shell's environment")
	if r.EnvFile != "" && r.EnvFile != r.FlagFile {
		vars, err := envfile.Read(r.EnvFile) // absent: no variables
		if err != nil {
			return k, err
		}
		label := cmp.Or(r.EnvFileLabel, r.EnvFile)
		if v := vars[r.Var]; v != "" {
			return Key{Value: v, Source: r.Var + " in " + label}, nil
		}
		k.Looked = append(k.Looked, label)
	}
	return k, nil
}

// NotFoundError is a credential required but found nowhere.
type NotFoundError struct {
	Var    string
	Looked []string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%s is not set (looked in %s)", e.Var, strings.Join(e.Looked, ", "))
}

// Hint gives commands to copy.
func (e *NotFoundError) Hint() string {
	return fmt.Sprintf("create one with `mcpctl keys new` in the project, or set it for this shell: %s", ExportCommand(e.Var, ".env"))
}

// ExportCommand is a shell command that exports the variable name with its value from
// the .env file at envFile, without printing the value:
// export MCP_API_KEY="$(sed -n 's/^MCP_API_KEY=//p' .env)".
func ExportCommand(name, envFile string) string {
	return fmt.Sprintf(`export %s="$(sed -n 's/^%s=//p' %s)"`, name, name, shellQuote(envFile))
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./~") == "" && !strings.HasPrefix(s, "~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
