package serverenv

import (
	"cmp"
	"slices"
	"strings"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/keys"
)

// HeaderAPIKey is the header a generated server reads the API key from (it also takes
// Authorization: Bearer).
const HeaderAPIKey = "x-api-key"

// Variables of the server contract that mcpctl sets beyond mcpctl.toml's (config.File.Env).
const (
	VarResourceURL = "MCP_RESOURCE_URL"
	VarAPIKey      = keys.EnvVar
	VarKeyHashes   = keys.HashesEnvVar
)

// ServerVars are the MCP_* variables the generated server reads (its config.go), the
// contract mcpctl writes against; a test checks the templates read each of them.
var ServerVars = []string{
	"MCP_PATH", "MCP_AUTH", "MCP_STATELESS", "MCP_ALLOWED_ORIGINS", "MCP_ALLOW_UNAUTHENTICATED",
	"MCP_LISTEN_ADDR", "MCP_MAX_PENDING_CONNS", VarAPIKey, VarKeyHashes,
	VarResourceURL, "MCP_OAUTH_ISSUER", "MCP_OAUTH_SCOPES", "MCP_OAUTH_JWKS_URL",
	"MCP_STREAM_FIRST_BYTE", "MCP_STREAM_KEEPALIVE", "MCP_DRAIN_TIMEOUT",
}

// LocalEnv is the environment a locally served server gets on top of the shell's: the
// settings of mcpctl.toml, then the variables of .env (dotenv), which win over both; the
// served port decides the local URL. Two variables follow their own rule:
//   - API keys (MCP_API_KEY, MCP_API_KEY_<NAME>) follow KeyOrder like every command: a
//     key exported in the shell wins over .env's, so `mcpctl check` sends the key the
//     server accepts. Every .env key still works (their hashes go in MCP_API_KEY_HASHES).
//   - An OAuth server's resource URL is the local URL at port unless mcpctl.toml or .env
//     names another; the local URL `mcpctl init` wrote into .env (at mcpctl.toml's port)
//     follows the port actually served.
func LocalEnv(cfg *config.File, dotenv map[string]string, port int, getenv func(string) string) []string {
	env := cfg.Env()
	vars := make(map[string]string, len(dotenv))
	for k, v := range dotenv {
		if isKeyVar(k) && getenv != nil && getenv(k) != "" {
			continue // the shell's key wins; BaseEnv carries it
		}
		vars[k] = v
	}
	if cfg.Server.Auth == config.AuthOAuth {
		resource := cmp.Or(vars[VarResourceURL], cfg.Server.OAuth.ResourceURL)
		if resource == "" || isLocalURLAt(resource, cfg.Server.Port, cfg.Server.Path) {
			resource = LocalURL(port, cfg.Server.Path)
		}
		delete(vars, VarResourceURL)
		env = append(env, VarResourceURL+"="+resource)
	}
	if _, set := vars[VarKeyHashes]; !set && cfg.Server.Auth == config.AuthAPIKey {
		if ks := keys.InEnv(dotenv); len(ks) > 0 {
			env = append(env, VarKeyHashes+"="+keys.HashList(ks))
		}
	}
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		env = append(env, k+"="+vars[k])
	}
	return env
}

// isKeyVar: MCP_API_KEY and MCP_API_KEY_<NAME>, not the hashes.
func isKeyVar(k string) bool {
	return (k == VarAPIKey || strings.HasPrefix(k, VarAPIKey+"_")) && k != VarKeyHashes
}
