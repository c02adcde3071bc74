package cmd

import (
	"encoding/json"
	"net/http"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/mcpctl/mcpctl/internal/envfile"
	"github.com/mcpctl/mcpctl/probe"
	"github.com/mcpctl/mcpctl/serverenv"
)

// defaultKeyEnv is the variable the key is read from when --key-env is not given.
const defaultKeyEnv = "MCP_API_KEY"

// credentialOptions are how check and bench authenticate to an endpoint, so that both
// find and send a key or token the same way: an API key from the variable --key-env names
// sent in --key-header, or an OAuth access token (--token, --token-env) as a bearer, plus
// extra --header lines.
type credentialOptions struct {
	Getenv    func(string) string
	KeyEnv    string
	KeyHeader string
	Headers   []string
	Token     string
	TokenEnv  string

	keyEnvSet bool
	header    http.Header
}

func (o *credentialOptions) addFlags(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&o.KeyEnv, "key-env", defaultKeyEnv, "environment variable (or ./.env entry) holding the API key")
	fl.StringVar(&o.KeyHeader, "key-header", probe.DefaultKeyHeader, "header that carries the key (\"Authorization\" sends it as a bearer token)")
	fl.StringArrayVarP(&o.Headers, "header", "H", nil, "extra request header 'Name: value' (repeatable)")
	fl.StringVar(&o.Token, "token", "", "OAuth access token to send as Authorization: Bearer (instead of an API key)")
	fl.StringVar(&o.TokenEnv, "token-env", "", "environment variable holding the OAuth access token")
}

// validate checks the flags after parsing; c tells whether --key-env was given.
func (o *credentialOptions) validate(c *cobra.Command) error {
	o.keyEnvSet = c.Flags().Changed("key-env")
	header, err := parseHeaderFlags(o.Headers)
	if err != nil {
		return err
	}
	o.header = header
	if o.Token != "" && o.TokenEnv != "" {
		return FlagErrorf("give --token or --token-env, not both")
	}
	if o.usesToken() && o.keyEnvSet {
		return FlagErrorf("--token/--token-env and --key-env exclude each other: a server takes an OAuth token or an API key")
	}
	if !headerNameRE.MatchString(o.KeyHeader) {
		return FlagErrorf("--key-header %q is not a valid header name", o.KeyHeader)
	}
	return nil
}

func (o *credentialOptions) usesToken() bool { return o.Token != "" || o.TokenEnv != "" }

// credential finds what to send and in which header: the OAuth token in Authorization
// when one is asked for, else the API key (if any) in --key-header. source says where the
// value came from, for a refused key's report.
func (o *credentialOptions) credential(cwd string) (value, header, source string, err error) {
	if o.usesToken() {
		value, source, err = o.resolveToken(cwd)
		return value, "Authorization", source, err
	}
	value, source, err = o.resolveKey(cwd)
	return value, o.KeyHeader, source, err
}

// resolveKey finds the API key held in the variable --key-env names, in serverenv's one
// order: the shell's environment, then ./.env. Without --key-env a missing MCP_API_KEY
// just means no key.
func (o *credentialOptions) resolveKey(cwd string) (key, source string, err error) {
	k, err := serverenv.ResolveKey(serverenv.KeyRequest{Var: o.KeyEnv, Getenv: o.Getenv, EnvFile: filepath.Join(cwd, envfile.Name), EnvFileLabel: "./" + envfile.Name})
	if err != nil {
		return "", "", err
	}
	if !k.Found() && o.keyEnvSet {
		return "", "", &serverenv.NotFoundError{Var: o.KeyEnv, Looked: k.Looked}
	}
	return k.Value, k.Source, nil
}

// resolveToken finds the OAuth access token: --token, else the variable --token-env
// names, in the same order as a key.
func (o *credentialOptions) resolveToken(cwd string) (token, source string, err error) {
	k, err := serverenv.ResolveKey(serverenv.KeyRequest{Var: o.TokenEnv, Flag: o.Token, FlagName: "--token",
		Getenv: o.Getenv, EnvFile: filepath.Join(cwd, envfile.Name), EnvFileLabel: "./" + envfile.Name})
	if err != nil {
		return "", "", err
	}
	if !k.Found() {
		return "", "", &serverenv.NotFoundError{Var: o.TokenEnv, Looked: k.Looked}
	}
	return k.Value, k.Source, nil
}

// toolArgs checks --args (a JSON object, only with --call) for check and bench.
func toolArgs(call, args string) (json.RawMessage, error) {
	if args == "" {
		return nil, nil
	}
	if call == "" {
		return nil, FlagErrorf("--args needs --call TOOL")
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(args), &obj); err != nil || obj == nil {
		return nil, FlagErrorf("--args must be a JSON object, e.g. '{\"name\":\"Ada\"}'")
	}
	return json.RawMessage(args), nil
}
