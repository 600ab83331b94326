package ws

import (
	"bytes"
	"encoding/json"
)

// Request is one decoded client message: a request (ID set) or a
// notification (ID nil).
type Request struct {
	ID     json.RawMessage // nil for a notification; else a JSON string, number or null
	Method string
	Params json.RawMessage // nil when absent; else a JSON object or array
}

// IsNotification reports whether the request carries no id (and so gets no
// answer).
func (r *Request) IsNotification() bool { return r.ID == nil }

type wireRequest struct {
	JSONRPC *string         `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  *string         `json:"method"`
	Params  json.RawMessage `json:"params"`
}

type wireResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  any             `json:"result,omitempty"`
	Error   *wireError      `json:"error,omitempty"`
}

type wireNotification struct {
	JSONRPC string `json:"jsonrpc"`
	Method  string `json:"method"`
	Params  any    `json:"params,omitempty"`
}

type wireError struct {
	Code    int            `json:"code"`
	Message string         `json:"message"`
	Data    *wireErrorData `json:"data,omitempty"`
}

type wireErrorData struct {
	Reason string `json:"reason"`
}

// Decode parses one websocket text message as a JSON-RPC 2.0 request or
// notification. On failure it returns the *Error to answer with (-32700 for
// malformed JSON, -32600 for a well-formed message that is not a valid
// request) and, when the message had a usable id, that id (else nil, which
// answers with "id": null).
func Decode(data []byte) (Request, json.RawMessage, *Error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if !json.Valid(trimmed) {
			return Request{}, nil, &Error{Code: CodeParseError, Reason: "malformed JSON"}
		}
		return Request{}, nil, &Error{Code: CodeInvalidRequest, Reason: "batch requests are not supported"}
	}
	var w wireRequest
	if err := json.Unmarshal(data, &w); err != nil {
		if !json.Valid(data) {
			return Request{}, nil, &Error{Code: CodeParseError, Reason: "malformed JSON"}
		}
		return Request{}, nil, &Error{Code: CodeInvalidRequest, Reason: "message must be a JSON object"}
	}
	var id json.RawMessage
	if w.ID != nil {
		switch w.ID[0] {
		case '"', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'n':
			id = w.ID
		default:
			return Request{}, nil, &Error{Code: CodeInvalidRequest, Reason: "id: must be a string, number or null"}
		}
	}
	if w.JSONRPC == nil || *w.JSONRPC != "2.0" {
		return Request{}, id, &Error{Code: CodeInvalidRequest, Reason: `jsonrpc: must be "2.0"`}
	}
	if w.Method == nil || *w.Method == "" {
		return Request{}, id, &Error{Code: CodeInvalidRequest, Reason: "method: missing"}
	}
	var params json.RawMessage
	if w.Params != nil && !bytes.Equal(w.Params, []byte("null")) {
		if w.Params[0] != '{' && w.Params[0] != '[' {
			return Request{}, id, &Error{Code: CodeInvalidRequest, Reason: "params: must be an object or an array"}
		}
		params = w.Params
	}
	return Request{ID: id, Method: *w.Method, Params: params}, id, nil
}

// Encode renders r as a JSON-RPC 2.0 message (the inverse of Decode).
func Encode(r Request) ([]byte, error) {
	w := struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id,omitempty"`
		Method  string          `json:"method"`
		Params  json.RawMessage `json:"params,omitempty"`
	}{"2.0", r.ID, r.Method, r.Params}
	return json.Marshal(w)
}

func encodeResult(id json.RawMessage, result any) ([]byte, error) {
	if id == nil {
		id = json.RawMessage("null")
	}
	if result == nil {
		result = struct{}{}
	}
	return json.Marshal(wireResponse{JSONRPC: "2.0", ID: id, Result: result})
}

func encodeError(id json.RawMessage, err error) []byte {
	if id == nil {
		id = json.RawMessage("null")
	}
	we := toWire(err)
	b, mErr := json.Marshal(wireResponse{JSONRPC: "2.0", ID: id, Error: &we})
	if mErr != nil { // unreachable: all fields are plain
		return []byte(`{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"internal error"}}`)
	}
	return b
}
