// Package serverenv owns the contract between mcpctl and the servers it generates: the
// MCP_* variables a server reads, the local and deployed URLs of its MCP endpoint, where
// an API key is read from (one order for every command, with its source), and which auth
// modes the generated code can serve.
package serverenv
