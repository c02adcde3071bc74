package bridge

import (
	"fmt"
	"net/http"

	"github.com/mcpctl/mcpctl/envfile"
)

// APIKeyHeaderName is the header generated servers read the API key from.
const APIKeyHeaderName = "x-api-key"

// APIKeyHeader returns the header carrying the API key held in the variable name. With
// envFile set (the project's .env) the file is read first: clients such as Claude Desktop
// start the bridge with a bare environment, and after `mcpctl keys rotate` the file holds
// the current key while an exported variable may be stale. getenv is the fallback.
func APIKeyHeader(name, envFile string, getenv func(string) string) (http.Header, error) {
	if name == "" {
		return nil, fmt.Errorf("no variable name for the API key")
	}
	var key string
	if envFile != "" {
		vars, err := envfile.Read(envFile)
		if err != nil {
			return nil, err
		}
		key = vars[name]
	}
	if key == "" && getenv != nil {
		key = getenv(name)
	}
	if key == "" {
		where := "the environment"
		if envFile != "" {
			where = envFile + " or the environment"
		}
		return nil, fmt.Errorf("%s is not set in %s; create a key with `mcpctl keys new` in the project, or export %s", name, where, name)
	}
	h := http.Header{}
	h.Set(APIKeyHeaderName, key)
	return h, nil
}
