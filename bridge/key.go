package bridge

import "github.com/mcpctl/mcpctl/serverenv"

// APIKeyHeaderName is the header generated servers read the API key from.
const APIKeyHeaderName = serverenv.HeaderAPIKey
