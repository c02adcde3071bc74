package connect

import (
	"path/filepath"
	"strings"
	"testing"
)

func codexReq(f *fixture) (Request, string) {
	r := f.req(Codex)
	return r, filepath.Join(f.home, ".codex", "config.toml")
}

func TestCodexEdits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		in     string
		change func(*Request)
		want   string
	}{
		{
			name: "no trailing newline",
			in:   `model = "o3"`,
			want: "model = \"o3\"\n\n[mcp_servers.demo]\nurl = \"" + testURL + "\"\nenv_http_headers = { \"x-api-key\" = \"MCP_API_KEY\" }\n",
		},
		{
			name: "crlf",
			in:   "model = \"o3\"\r\n",
			want: "model = \"o3\"\r\n\r\n[mcp_servers.demo]\r\nurl = \"" + testURL + "\"\r\nenv_http_headers = { \"x-api-key\" = \"MCP_API_KEY\" }\r\n",
		},
		{
			name: "update url keeps other headers",
			in:   "[mcp_servers.demo]\nurl = 'http://127.0.0.1:8000/mcp'\nenv_http_headers = { \"x-tenant\" = \"TENANT\" }\nenabled = true\n",
			want: "[mcp_servers.demo]\nurl = \"" + testURL + "\"\nenv_http_headers = { \"x-api-key\" = \"MCP_API_KEY\", \"x-tenant\" = \"TENANT\" }\nenabled = true\n",
		},
		{
			name:   "oauth drops only our header",
			in:     "[mcp_servers.demo]\nurl = \"" + testURL + "\"\nenv_http_headers = { \"x-api-key\" = \"MCP_API_KEY\", \"x-tenant\" = \"TENANT\" }\n",
			change: func(r *Request) { r.Auth = AuthOAuth },
			want:   "[mcp_servers.demo]\nurl = \"" + testURL + "\"\nenv_http_headers = { \"x-tenant\" = \"TENANT\" }\n",
		},
		{
			name:   "oauth drops the line",
			in:     "[mcp_servers.demo]\nurl = \"" + testURL + "\"\nenv_http_headers = { \"x-api-key\" = \"MCP_API_KEY\" } # ours\ntool_timeout_sec = 90\n",
			change: func(r *Request) { r.Auth = AuthOAuth },
			want:   "[mcp_servers.demo]\nurl = \"" + testURL + "\"\ntool_timeout_sec = 90\n",
		},
		{
			name: "missing keys go after the table's last key",
			in:   "[mcp_servers.demo]\nenabled = true\n\n[mcp_servers.demo.env]\nX = \"1\"\n",
			want: "[mcp_servers.demo]\nenabled = true\nurl = \"" + testURL + "\"\nenv_http_headers = { \"x-api-key\" = \"MCP_API_KEY\" }\n\n[mcp_servers.demo.env]\nX = \"1\"\n",
		},
		{
			name:   "remove at the top",
			in:     "[mcp_servers.demo]\nurl = \"x\"\n\n[mcp_servers.other]\nurl = \"y\"\n",
			change: func(r *Request) { r.Remove = true },
			want:   "[mcp_servers.other]\nurl = \"y\"\n",
		},
		{
			name:   "url needing escapes",
			in:     "",
			change: func(r *Request) { r.URL = `https://example.com/mcp?q="a"&b=\1` },
			want:   "[mcp_servers.demo]\nurl = \"https://example.com/mcp?q=\\\"a\\\"&b=\\\\1\"\nenv_http_headers = { \"x-api-key\" = \"MCP_API_KEY\" }\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			r, path := codexReq(f)
			if tc.in != "" {
				writeFile(t, path, tc.in, 0o600)
			}
			if tc.change != nil {
				tc.change(&r)
			}
			apply(t, r)
			if got := string(read(t, path)); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
			if res := apply(t, r); res.Action != Unchanged && res.Action != Absent {
				t.Errorf("second run: %s\n%s", res.Action, res.Diff)
			}
		})
	}
}

func TestCodexRefusesFormsItDoesNotEdit(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"[mcp_servers]\ndemo = { url = \"http://127.0.0.1:8000/mcp\" }\n",
		"mcp_servers.demo.url = \"http://127.0.0.1:8000/mcp\"\n",
		"[mcp_servers.demo]\nurl = \"x\"\nenv_http_headers.x-api-key = \"MCP_API_KEY\"\n",
		"[mcp_servers.demo]\nurl = \"x\"\n[mcp_servers.demo.env_http_headers]\nx-api-key = \"MCP_API_KEY\"\n",
	} {
		f := newFixture(t)
		r, path := codexReq(f)
		writeFile(t, path, in, 0o600)
		_, err := Apply(r)
		if err == nil || !strings.Contains(err.Error(), "does not edit") {
			t.Errorf("%q: %v", in, err)
		}
		if got := string(read(t, path)); got != in {
			t.Errorf("file changed: %q", got)
		}
	}
}
