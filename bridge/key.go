package bridge

// APIKeyHeaderName is the header generated servers read the API key from.
const APIKeyHeaderName = "x-api-key"
