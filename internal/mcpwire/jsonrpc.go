package mcpwire

import (
	"bytes"
	"encoding/json"
)

// Message is just enough of a JSON-RPC 2.0 message to route, log or classify it.
type Message struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
	Result  json.RawMessage `json:"result"`
	Error   *RPCError       `json:"error"`
}

// RPCError is a JSON-RPC error object.
type RPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// Peek decodes body as one JSON-RPC message; of a batch (older protocol revisions) it
// returns the first. ok is false when body is not one.
func Peek(body []byte) (m Message, ok bool) {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		var batch []json.RawMessage
		if json.Unmarshal(body, &batch) != nil || len(batch) == 0 {
			return Message{}, false
		}
		body = batch[0]
	}
	if json.Unmarshal(body, &m) != nil {
		return Message{}, false
	}
	return m, true
}

// IsResponse reports whether m is a JSON-RPC 2.0 response: a result or an error.
func (m Message) IsResponse() bool {
	return m.JSONRPC == "2.0" && (m.Result != nil || m.Error != nil)
}

// HasID reports whether m carries the id want (compared as JSON text).
func (m Message) HasID(want json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(m.ID), bytes.TrimSpace(want))
}

// Tool is the tool a tools/call names, "" for any other message.
func (m Message) Tool() string {
	if m.Method != "tools/call" {
		return ""
	}
	var p struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(m.Params, &p)
	return p.Name
}
