package connect

import "strings"

// oauthRedirects are the redirect URIs each client's OAuth sign-in uses, as the clients
// document or send them. A provider without dynamic client registration must have them
// registered for the client it issues.
var oauthRedirects = map[Client][]string{
	Cursor:     {"cursor://anysphere.cursor-mcp/oauth/callback", "https://www.cursor.com/agents/mcp/oauth/callback"},
	ClaudeCode: {"http://localhost:PORT/callback (pin PORT with `claude mcp add --callback-port`)"},
	VSCode:     {"http://127.0.0.1:33418", "https://vscode.dev/redirect"},
	ClaudeAI:   {"https://claude.ai/api/mcp/auth_callback"},
}

// RegistrationNote says what the identity provider must allow for client to sign in.
func RegistrationNote(client Client) string {
	const dcr = "at your identity provider, enable dynamic client registration (clients then register themselves)"
	if uris, ok := oauthRedirects[client]; ok {
		return dcr + ", or register a client with the redirect URIs " + strings.Join(uris, ", ")
	}
	return dcr + ", or register a client with the redirect URI the client's documentation gives"
}
