package doctor

import (
	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/serverenv"
)

// IDAuthUnsupported: the auth mode set for the server is one its generated code cannot
// serve (auth = "oauth" in a project generated for API keys): it refuses to start.
const IDAuthUnsupported = "auth-unsupported"

// authCodeFindings checks that the generated code can serve the auth mode that
// mcpctl.toml, or app.json on the platform, sets.
func authCodeFindings(p *project) []Finding {
	var fs []Finding
	check := func(mode, where, file string) {
		if err := serverenv.SupportsAuth(p.dir, mode); err != nil {
			fs = append(fs, Finding{
				ID: IDAuthUnsupported, Severity: SeverityError, File: file,
				Title:  "auth = \"" + mode + "\" in " + where + ", but the server code cannot serve it",
				Detail: err.Error() + "; `mcpctl dev` restarts it in a loop and a deploy would crash.",
				Fix:    "set auth = \"" + config.AuthAPIKey + "\" (or \"none\" locally) again, or to use OAuth: " + serverenv.OAuthAdvice(p.dir),
			})
		}
	}
	check(p.cfg.Server.Auth, "mcpctl.toml", "mcpctl.toml")
	if v, ok := p.appEnv("MCP_AUTH"); ok && v != p.cfg.Server.Auth {
		check(v, "app.json (MCP_AUTH)", "app.json")
	}
	return fs
}
