package deployers

import (
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/keys"
)

func TestDesiredConfigHoldsOnlyHashes(t *testing.T) {
	k1, _ := keys.Generate()
	k2, _ := keys.Generate()
	f := config.Default("weather")
	want := DesiredConfig(f, map[string]string{"MCP_API_KEY": k1, "MCP_API_KEY_PREVIOUS": k2, "OTHER": "x"})
	if want["MCP_API_KEY_HASHES"] != keys.Hash(k1)+","+keys.Hash(k2) {
		t.Fatalf("hashes %q", want["MCP_API_KEY_HASHES"])
	}
	for k, v := range want {
		if strings.Contains(v, k1) || strings.Contains(v, k2) {
			t.Fatalf("%s carries a plaintext key", k)
		}
	}
	changes := ConfigChanges(map[string]string{"MCP_PATH": "/mcp", "MCP_ALLOWED_ORIGINS": "https://old.example.com"}, want)
	if _, ok := changes["MCP_PATH"]; ok {
		t.Error("an unchanged value would be set again")
	}
	if v, ok := changes["MCP_ALLOWED_ORIGINS"]; !ok || v != "" {
		t.Error("a value that must go is not unset")
	}
}
