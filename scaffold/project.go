package scaffold

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/module"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/internal/envfile"
	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/keys"
	"github.com/mcpctl/mcpctl/serverenv"
	"github.com/mcpctl/mcpctl/templates"
)

// Project describes a new project to create.
type Project struct {
	Dir       string
	Name      string
	Module    string
	Path      string
	Port      int
	Auth      string
	Stateless bool

	// With Auth oauth: the identity provider's issuer URL (required), the public URL of
	// the MCP endpoint (optional: the local URL goes to .env when empty), and the scopes
	// tokens must carry (default mcp:tools).
	Issuer   string
	Audience string
	Scopes   []string
}

// Validate reports every problem with the project's values.
func (p Project) Validate() error {
	var errs []error
	if err := config.CheckName(p.Name); err != nil {
		if s := SuggestName(p.Name); s != "" {
			err = fmt.Errorf("%w (such as %q)", err, s)
		}
		errs = append(errs, fmt.Errorf("name: %w", err))
	}
	if err := module.CheckImportPath(p.Module); err != nil {
		example := SuggestModule(p.Name)
		if example == "" {
			example = "github.com/you/weather"
		}
		errs = append(errs, fmt.Errorf("module: %q is not a valid Go module path (use something like %s)", p.Module, example))
	}
	if err := config.CheckPath(p.Path); err != nil {
		errs = append(errs, fmt.Errorf("path: %w", err))
	}
	if p.Port < 1 || p.Port > 65535 {
		errs = append(errs, fmt.Errorf("port: %d is not a TCP port (1-65535)", p.Port))
	}
	switch p.Auth {
	case config.AuthAPIKey, config.AuthNone:
		if p.Issuer != "" || p.Audience != "" || len(p.Scopes) > 0 {
			errs = append(errs, fmt.Errorf("issuer, audience and scopes apply only to auth oauth, not %s", p.Auth))
		}
	case config.AuthOAuth:
		errs = append(errs, p.validateOAuth()...)
	default:
		errs = append(errs, fmt.Errorf("auth: %q is not one of apikey, oauth, none", p.Auth))
	}
	return errors.Join(errs...)
}

func (p Project) validateOAuth() []error {
	var errs []error
	if p.Issuer == "" {
		errs = append(errs, errors.New("issuer: auth oauth needs the issuer URL of your identity provider (--issuer https://your-tenant.us.auth0.com/)"))
	} else if err := config.CheckOAuthURL(p.Issuer); err != nil {
		errs = append(errs, fmt.Errorf("issuer: %w", err))
	}
	if p.Audience != "" {
		if err := config.CheckResourceURL(p.Audience, p.Path); err != nil {
			errs = append(errs, fmt.Errorf("audience: %w", err))
		}
	}
	for _, s := range p.Scopes {
		if err := config.CheckScope(s); err != nil {
			errs = append(errs, fmt.Errorf("scopes: %w", err))
		}
	}
	return errs
}

// LocalURL is the MCP endpoint's URL when the server runs locally.
func (p Project) LocalURL() string {
	return serverenv.LocalURL(p.Port, p.Path)
}

// Plan renders the project in memory, the API key included, without writing anything.
func (p Project) Plan() (*Plan, string, error) {
	if err := p.Validate(); err != nil {
		return nil, "", err
	}
	set, err := templates.Set("go")
	if err != nil {
		return nil, "", err
	}
	vars := templates.Vars{
		Name: p.Name, Module: p.Module, Path: p.Path, Port: p.Port,
		Auth: p.Auth, Stateless: p.Stateless, GoVersion: templates.GoVersion,
	}
	if p.Auth == config.AuthOAuth {
		vars.OAuthIssuer, vars.OAuthResourceURL, vars.OAuthScopes = p.Issuer, p.Audience, p.Scopes
		if len(vars.OAuthScopes) == 0 {
			vars.OAuthScopes = []string{config.DefaultScope}
		}
	}
	plan, err := Render(set, vars, map[string]string{"Name": p.Name})
	if err != nil {
		return nil, "", err
	}
	plan.Files = slices.DeleteFunc(plan.Files, func(f File) bool { return !vars.Wanted(f.Path) })
	// The rendered project file must be one mcpctl itself accepts.
	for _, f := range plan.Files {
		if f.Path == config.FileName {
			if _, err := config.Parse(config.FileName, f.Data); err != nil {
				return nil, "", fmt.Errorf("template bug: %w", err)
			}
		}
	}
	var key string
	if p.Auth == config.AuthAPIKey {
		if key, err = keys.Generate(); err != nil {
			return nil, "", err
		}
		// The creation time goes on a comment line of its own, which `mcpctl keys list`
		// reads; the key's line holds only the key.
		env := "# Secrets for local runs. Never commit this file (.gitignore covers it).\n" +
			"# mcpctl:MCP_API_KEY created " + time.Now().UTC().Format(time.RFC3339) + "\n" +
			"MCP_API_KEY=" + key + "\n"
		if err := plan.Add(File{Path: envfile.Name, Mode: envfile.Mode, Data: []byte(env)}); err != nil {
			return nil, "", err
		}
	}
	if p.Auth == config.AuthOAuth && p.Audience == "" {
		// The public URL is known only where the server runs; locally it is this one.
		// mcpctl.toml's settings and .env both reach `mcpctl dev`, and .env wins.
		env := "# Settings for local runs. Never commit this file (.gitignore covers it).\n" +
			"# The URL clients use for the MCP endpoint locally: access tokens must be issued for\n" +
			"# it (their aud claim). On a platform, MCP_RESOURCE_URL is the public URL instead.\n" +
			"MCP_RESOURCE_URL=" + p.LocalURL() + "\n"
		if err := plan.Add(File{Path: envfile.Name, Mode: envfile.Mode, Data: []byte(env)}); err != nil {
			return nil, "", err
		}
	}
	return plan, key, nil
}

// GitResult says what happened to version control.
type GitResult struct {
	Initialized bool
	Committed   bool
	Note        string // why a step was skipped, for the user
}

// InitGit makes dir a git repository with a first commit. It skips (and says why) when
// git is missing, when dir is already inside a repository, or when git has no identity
// to commit with; it never commits .env.
func InitGit(ctx context.Context, ex executor.Executor, dir string) (GitResult, error) {
	var res GitResult
	if _, err := ex.LookPath("git"); err != nil {
		res.Note = "git is not installed; run `git init` yourself when it is"
		return res, nil
	}
	git := func(args ...string) (executor.Result, error) {
		return ex.Run(ctx, executor.Cmd{Name: "git", Args: args, Dir: dir})
	}
	if out, err := git("rev-parse", "--show-toplevel"); err == nil {
		res.Note = "already inside the git repository at " + strings.TrimSpace(string(out.Stdout)) + "; not creating another"
		return res, nil
	}
	if _, err := git("init", "--quiet"); err != nil {
		return res, fmt.Errorf("git init: %w", err)
	}
	res.Initialized = true
	if _, err := git("add", "--all"); err != nil {
		return res, fmt.Errorf("git add: %w", err)
	}
	// Belt and braces: .gitignore keeps .env out, but never let a key reach history.
	if out, err := git("ls-files", "--cached", "--", envfile.Name); err == nil && len(strings.TrimSpace(string(out.Stdout))) > 0 {
		return res, fmt.Errorf("refusing to commit: %s was staged", filepath.Join(dir, envfile.Name))
	}
	if _, err := git("var", "GIT_AUTHOR_IDENT"); err != nil {
		res.Note = "git has no user.name/user.email, so the files are staged but not committed"
		return res, nil
	}
	if _, err := git("commit", "--quiet", "--no-verify", "-m", "Initial commit from mcpctl init"); err != nil {
		return res, fmt.Errorf("git commit: %w", err)
	}
	res.Committed = true
	return res, nil
}
