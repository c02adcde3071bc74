// Package config is the schema of mcpctl.toml, the one file that describes an mcpctl
// project. Every command reads the project through Load so that defaults and validation
// live in one place.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/mcpctl/mcpctl/internal/mcpwire"
)

// FileName is the project file every command looks for.
const FileName = "mcpctl.toml"

// Defaults for keys a project file may leave out.
const (
	DefaultPath   = "/mcp"
	DefaultPort   = 8000
	DefaultAuth   = AuthAPIKey
	DefaultRegion = "us"
	// DefaultScope is the scope an OAuth server requires when mcpctl.toml names none.
	DefaultScope = "mcp:tools"
)

// Auth modes of the generated server.
const (
	AuthAPIKey = "apikey"
	AuthOAuth  = "oauth"
	AuthNone   = "none"
)

// File is a decoded and defaulted mcpctl.toml.
type File struct {
	Project Project `toml:"project"`
	Server  Server  `toml:"server"`
	Deploy  Deploy  `toml:"deploy"`
}

// Project names the project.
type Project struct {
	Name string `toml:"name"`
}

// Server describes how the generated server runs.
type Server struct {
	Path           string   `toml:"path"`
	Port           int      `toml:"port"`
	Auth           string   `toml:"auth"`
	Stateless      bool     `toml:"stateless"`
	AllowedOrigins []string `toml:"allowed_origins"`
	// StreamFirstByte: a call silent this long gets its response committed as an event
	// stream with a comment, inside routers' first-byte windows (Heroku: 30 s). 0: off.
	StreamFirstByte Duration `toml:"stream_first_byte"`
	// StreamKeepAlive: an event stream quiet this long gets a comment line, below
	// routers' idle windows (Heroku: 55 s). 0: off.
	StreamKeepAlive Duration `toml:"stream_keepalive"`
	// DrainTimeout bounds the whole shutdown after SIGTERM, below the platform's kill
	// (Heroku: 30 s).
	DrainTimeout Duration `toml:"drain_timeout"`
	OAuth        OAuth    `toml:"oauth"`
}

// Defaults of the production-time settings, and the platform windows they must fit in.
const (
	DefaultStreamFirstByte = time.Second
	DefaultStreamKeepAlive = 15 * time.Second
	DefaultDrainTimeout    = 25 * time.Second

	// HerokuFirstByte is how long Heroku's router waits for a response's first byte (H12).
	HerokuFirstByte = 30 * time.Second
	// HerokuIdle is Heroku's rolling window for a response that has started (H15).
	HerokuIdle = 55 * time.Second
	// HerokuKill is how long Heroku waits after SIGTERM before SIGKILL.
	HerokuKill = 30 * time.Second
)

// Duration is a time.Duration written as a string, such as "1s" or "500ms".
type Duration struct{ time.Duration }

// UnmarshalText reads a duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration such as \"1s\" or \"500ms\"", b)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration as time.Duration.String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// OAuth is the [server.oauth] table: how a server with auth = "oauth" validates the
// access tokens of an existing identity provider. It holds no secret.
type OAuth struct {
	// Issuer is the identity provider's issuer URL, exactly as its tokens' iss says.
	Issuer string `toml:"issuer"`
	// ResourceURL is the public URL of the MCP endpoint: the audience tokens must carry
	// and the resource of the protected-resource metadata. Empty: set per environment
	// (MCP_RESOURCE_URL), as a platform's URL is known only once the app exists.
	ResourceURL string `toml:"resource_url"`
	// Scopes must all be granted to a token.
	Scopes []string `toml:"scopes"`
	// JWKSURL overrides the key set URL the provider's metadata names.
	JWKSURL string `toml:"jwks_url"`
}

// Deploy holds per-platform deployment settings.
type Deploy struct {
	Heroku   Heroku   `toml:"heroku"`
	CloudRun CloudRun `toml:"cloudrun"`
}

// Heroku is the [deploy.heroku] table.
type Heroku struct {
	App    string `toml:"app"`
	Region string `toml:"region"`
}

// Default returns the configuration of a new project called name.
func Default(name string) *File {
	return &File{
		Project: Project{Name: name},
		Server: Server{
			Path:      DefaultPath,
			Port:      DefaultPort,
			Auth:      DefaultAuth,
			Stateless: true,
			OAuth:     OAuth{Scopes: []string{DefaultScope}},

			StreamFirstByte: Duration{DefaultStreamFirstByte},
			StreamKeepAlive: Duration{DefaultStreamKeepAlive},
			DrainTimeout:    Duration{DefaultDrainTimeout},
		},
		Deploy: Deploy{Heroku: Heroku{Region: DefaultRegion}},
	}
}

// NotFoundError is returned by Load when dir holds no project file.
type NotFoundError struct{ Dir string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no %s in %s", FileName, e.Dir)
}

// Hint tells the user how to get a project file.
func (e *NotFoundError) Hint() string {
	return "run mcpctl inside a project made by `mcpctl init`, or create one with `mcpctl init NAME`"
}

// Load reads dir/mcpctl.toml.
func Load(dir string) (*File, error) {
	p := filepath.Join(dir, FileName)
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, &NotFoundError{Dir: dir}
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	return Parse(p, data)
}

// Parse decodes and validates the contents of a project file. name is used in messages.
// Unknown keys, wrong types and invalid values are errors that name the key and, where
// it can be found, its line.
func Parse(name string, data []byte) (*File, error) {
	data = bytes.TrimPrefix(data, utf8BOM) // as SetString edits it
	f := Default("")
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(f)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			msg := pe.Message
			if pe.LastKey != "" {
				msg = fmt.Sprintf("%s (key %s)", msg, pe.LastKey)
			}
			return nil, &Error{File: name, Problems: []Problem{{Line: pe.Position.Line, Message: msg}}}
		}
		return nil, &Error{File: name, Problems: []Problem{{Message: err.Error()}}}
	}
	lines := keyLines(data)
	var probs []Problem
	for _, k := range md.Undecoded() {
		key := k.String()
		probs = append(probs, Problem{Key: key, Line: lines[key], Message: "unknown key; every key is documented in https://github.com/mcpctl/mcpctl/blob/main/mcpctl.toml.example"})
	}
	for _, p := range f.validate() {
		p.Line = lines[p.Key]
		probs = append(probs, p)
	}
	if len(probs) > 0 {
		return nil, &Error{File: name, Problems: probs}
	}
	return f, nil
}

// Problem is one thing wrong with a project file.
type Problem struct {
	Key     string
	Line    int // 0 when unknown
	Message string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Key != "" {
		b.WriteString(p.Key + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Error lists every problem found in one project file.
type Error struct {
	File     string
	Problems []Problem
}

func (e *Error) Error() string {
	if len(e.Problems) == 1 {
		return fmt.Sprintf("%s: %s", e.File, e.Problems[0])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problems:", e.File, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

// Hint points at the documented schema.
func (e *Error) Hint() string {
	return "fix " + filepath.Base(e.File) + " (every key is documented in https://github.com/mcpctl/mcpctl/blob/main/mcpctl.toml.example) and run the command again"
}

// Validate checks every value; it reports all problems, not just the first.
func (f *File) Validate() error {
	if probs := f.validate(); len(probs) > 0 {
		return &Error{File: FileName, Problems: probs}
	}
	return nil
}

func (f *File) validate() []Problem {
	var probs []Problem
	add := func(key string, err error) {
		if err != nil {
			probs = append(probs, Problem{Key: key, Message: err.Error()})
		}
	}
	add("project.name", CheckName(f.Project.Name))
	add("server.path", CheckPath(f.Server.Path))
	if f.Server.Port < 1 || f.Server.Port > 65535 {
		add("server.port", fmt.Errorf("%d is not a TCP port (1-65535)", f.Server.Port))
	}
	switch f.Server.Auth {
	case AuthAPIKey, AuthOAuth, AuthNone:
	default:
		add("server.auth", fmt.Errorf("%q is not one of apikey, oauth, none", f.Server.Auth))
	}
	for _, o := range f.Server.AllowedOrigins {
		add("server.allowed_origins", CheckOrigin(o))
	}
	probs = append(probs, f.Server.validateTimes()...)
	probs = append(probs, f.Server.validateOAuth()...)
	if f.Deploy.Heroku.App != "" {
		add("deploy.heroku.app", CheckName(f.Deploy.Heroku.App))
	}
	switch f.Deploy.Heroku.Region {
	case "us", "eu":
	default:
		add("deploy.heroku.region", fmt.Errorf("%q is not one of us, eu", f.Deploy.Heroku.Region))
	}
	probs = append(probs, f.Deploy.CloudRun.validate()...)
	return probs
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{2,29}$`)

// CheckName validates a project name. Project names double as Heroku app names, so they
// follow Heroku's rule: a lowercase letter, then lowercase letters, digits and dashes,
// 3 to 30 characters in all.
func CheckName(name string) error {
	switch {
	case name == "":
		return errors.New("a name is required")
	case !nameRE.MatchString(name):
		return fmt.Errorf("%q is not a valid name: use 3-30 characters, a lowercase letter first, then lowercase letters, digits or dashes", name)
	case strings.HasSuffix(name, "-"):
		return fmt.Errorf("%q is not a valid name: it may not end with a dash", name)
	}
	return nil
}

// CheckPath validates the MCP endpoint path.
func CheckPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("%q must start with /", p)
	case p == "/":
		return errors.New(`"/" would put the MCP endpoint over every other route; use a path such as /mcp`)
	case strings.ContainsAny(p, "?# \t{}"), strings.Contains(p, "//"):
		return fmt.Errorf("%q is not a plain URL path", p)
	case p == "/health" || strings.HasPrefix(p, "/.well-known"):
		return fmt.Errorf("%q is reserved for the server's own routes", p)
	case len(p) > 1 && strings.HasSuffix(p, "/"):
		return fmt.Errorf("%q must not end with /", p)
	}
	if u, err := url.Parse(p); err != nil || u.Path != p {
		return fmt.Errorf("%q is not a plain URL path", p)
	}
	return nil
}

// CheckOrigin validates one CORS origin: an exact scheme://host[:port], never "*".
func CheckOrigin(o string) error {
	if o == "*" || strings.Contains(o, "*") {
		return fmt.Errorf("%q: wildcards are refused; list each origin exactly, such as https://app.example.com", o)
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q is not an origin: use scheme://host[:port], such as https://app.example.com", o)
	}
	if strings.HasSuffix(o, "/") {
		return fmt.Errorf("%q: an origin has no trailing slash", o)
	}
	return nil
}

func (s *Server) validateTimes() []Problem {
	var probs []Problem
	add := func(key, format string, args ...any) {
		probs = append(probs, Problem{Key: "server." + key, Message: fmt.Sprintf(format, args...)})
	}
	if v := s.StreamFirstByte.Duration; v < 0 || v >= HerokuFirstByte {
		add("stream_first_byte", "%s: use a duration from 0 (off) to well below %s, the first-byte window of Heroku's router; default %q", v, HerokuFirstByte, DefaultStreamFirstByte.String())
	}
	if v := s.StreamKeepAlive.Duration; v < 0 || v >= HerokuIdle {
		add("stream_keepalive", "%s: use a duration from 0 (off) to well below %s, the idle window of Heroku's router; default %q", v, HerokuIdle, DefaultStreamKeepAlive.String())
	}
	if v := s.DrainTimeout.Duration; v <= 0 || v >= HerokuKill {
		add("drain_timeout", "%s: use a positive duration below %s, after which Heroku kills the process; default %q", v, HerokuKill, DefaultDrainTimeout.String())
	}
	return probs
}

func (s *Server) validateOAuth() []Problem {
	var probs []Problem
	add := func(key string, err error) {
		if err != nil {
			probs = append(probs, Problem{Key: "server.oauth." + key, Message: err.Error()})
		}
	}
	o := s.OAuth
	if o.Issuer == "" && s.Auth == AuthOAuth {
		add("issuer", errors.New(`required with auth = "oauth": the issuer URL of your identity provider, such as https://your-tenant.us.auth0.com/`))
	}
	if o.Issuer != "" {
		add("issuer", CheckOAuthURL(o.Issuer))
	}
	if o.ResourceURL != "" {
		add("resource_url", CheckResourceURL(o.ResourceURL, s.Path))
	}
	if o.JWKSURL != "" {
		add("jwks_url", CheckOAuthURL(o.JWKSURL))
	}
	if len(o.Scopes) == 0 {
		add("scopes", fmt.Errorf("list at least one scope a token must carry (default [%q])", DefaultScope))
	}
	for _, sc := range o.Scopes {
		add("scopes", CheckScope(sc))
	}
	return probs
}

// CheckOAuthURL validates an identity provider URL (issuer or key set): absolute, and
// HTTPS except on a loopback host, where local test providers run.
func CheckOAuthURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "":
		return fmt.Errorf("%q is not an absolute URL such as https://auth.example.com/", s)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q: no user info, query or fragment", s)
	case u.Scheme == "https":
	case u.Scheme == "http" && mcpwire.IsLoopbackHost(u.Hostname()):
	default:
		return fmt.Errorf("%q: use https (plain http only on localhost)", s)
	}
	return nil
}

// CheckResourceURL validates the public URL of the MCP endpoint served at path: tokens
// are bound to it and clients compare it with the URL they connect to, so it is the
// endpoint's own URL, not the host's. A proxy may mount the server under a prefix
// (https://example.com/tools/mcp for a server whose path is /mcp), but the URL ends in
// path.
func CheckResourceURL(s, path string) error {
	if err := CheckOAuthURL(s); err != nil {
		return err
	}
	u, _ := url.Parse(s)
	if !strings.HasSuffix(u.Path, path) {
		return fmt.Errorf("%q is not the MCP endpoint's URL: it must end in the server path %s, such as https://%s%s", s, path, u.Host, path)
	}
	return nil
}

// CheckScope validates one OAuth scope (RFC 6749 §3.3: printable ASCII without space,
// double quote or backslash).
func CheckScope(s string) error {
	if s == "" {
		return errors.New("a scope must not be empty")
	}
	for _, r := range s {
		if r < 0x21 || r > 0x7e || r == '"' || r == '\\' {
			return fmt.Errorf("%q is not a valid scope (printable ASCII without spaces, quotes or backslashes)", s)
		}
	}
	return nil
}

// Env returns the server settings as the environment variables the generated server
// reads, so that `mcpctl dev` and deployments run it with what mcpctl.toml says.
//
// With auth = "oauth" it adds the [server.oauth] values that are set; an empty
// resource_url or jwks_url is left out so that another source (.env, the platform) can
// provide it.
func (f *File) Env() []string {
	env := []string{
		"MCP_PATH=" + f.Server.Path,
		"MCP_AUTH=" + f.Server.Auth,
		"MCP_STATELESS=" + strconv.FormatBool(f.Server.Stateless),
		"MCP_ALLOWED_ORIGINS=" + strings.Join(f.Server.AllowedOrigins, ","),
		"MCP_STREAM_FIRST_BYTE=" + f.Server.StreamFirstByte.String(),
		"MCP_STREAM_KEEPALIVE=" + f.Server.StreamKeepAlive.String(),
		"MCP_DRAIN_TIMEOUT=" + f.Server.DrainTimeout.String(),
	}
	if f.Server.Auth != AuthOAuth {
		return env
	}
	o := f.Server.OAuth
	for _, kv := range [][2]string{
		{"MCP_OAUTH_ISSUER", o.Issuer},
		{"MCP_RESOURCE_URL", o.ResourceURL},
		{"MCP_OAUTH_SCOPES", strings.Join(o.Scopes, " ")},
		{"MCP_OAUTH_JWKS_URL", o.JWKSURL},
	} {
		if kv[1] != "" {
			env = append(env, kv[0]+"="+kv[1])
		}
	}
	return env
}
