package ws

import (
	"errors"
	"fmt"
)

// JSON-RPC 2.0 error codes (https://www.jsonrpc.org/specification §5.1) and
// the application codes Switchboard adds.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternalError  = -32603
	// CodeUnauthorized answers a request made before (or instead of) a
	// successful auth/login, or a wrong credential.
	CodeUnauthorized = -32001
	// CodeNotFound answers a request naming an object that does not exist.
	CodeNotFound = -32002
	// CodeConflict answers a request that contradicts current state
	// (e.g. deleting a queue still in use).
	CodeConflict = -32003
)

// Error is a JSON-RPC error with its verdict. Handlers return it (possibly
// wrapped) to choose the code; any other error becomes -32603 with the
// error text as reason.
type Error struct {
	Code    int    // JSON-RPC code
	Message string // short fixed text; empty means the code's standard text
	Reason  string // sent as data.reason: what exactly was wrong
}

// Error implements error.
func (e *Error) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("%s (%d)", e.message(), e.Code)
	}
	return fmt.Sprintf("%s (%d): %s", e.message(), e.Code, e.Reason)
}

func (e *Error) message() string {
	if e.Message != "" {
		return e.Message
	}
	switch e.Code {
	case CodeParseError:
		return "parse error"
	case CodeInvalidRequest:
		return "invalid request"
	case CodeMethodNotFound:
		return "method not found"
	case CodeInvalidParams:
		return "invalid params"
	case CodeInternalError:
		return "internal error"
	case CodeUnauthorized:
		return "unauthorized"
	case CodeNotFound:
		return "not found"
	case CodeConflict:
		return "conflict"
	}
	return "error"
}

// InvalidParams returns a -32602 error whose reason should name the field,
// e.g. "extension: 1001 already used by agent bob".
func InvalidParams(reason string) *Error {
	return &Error{Code: CodeInvalidParams, Reason: reason}
}

// MethodNotFound returns the -32601 error for method.
func MethodNotFound(method string) *Error {
	return &Error{Code: CodeMethodNotFound, Reason: "unknown method " + method}
}

// Unauthorized returns a -32001 error with reason.
func Unauthorized(reason string) *Error {
	return &Error{Code: CodeUnauthorized, Reason: reason}
}

// NotFound returns a -32002 error with reason.
func NotFound(reason string) *Error {
	return &Error{Code: CodeNotFound, Reason: reason}
}

// Conflict returns a -32003 error with reason.
func Conflict(reason string) *Error {
	return &Error{Code: CodeConflict, Reason: reason}
}

// toWire converts any handler error into its wire form.
func toWire(err error) wireError {
	var e *Error
	if errors.As(err, &e) {
		w := wireError{Code: e.Code, Message: e.message()}
		if e.Reason != "" {
			w.Data = &wireErrorData{Reason: e.Reason}
		}
		return w
	}
	return wireError{Code: CodeInternalError, Message: "internal error", Data: &wireErrorData{Reason: err.Error()}}
}

// closeAfter marks an error after whose answer the connection is closed.
type closeAfter struct{ err error }

func (c closeAfter) Error() string { return c.err.Error() }
func (c closeAfter) Unwrap() error { return c.err }

// CloseAfter wraps err so that, once its error response has been written,
// the connection is closed (status 1008, policy violation). Gate uses it.
func CloseAfter(err error) error {
	if err == nil {
		return nil
	}
	return closeAfter{err: err}
}

// errSendQueueFull is the close cause when a peer reads too slowly.
var errSendQueueFull = errors.New("send queue full")

// errLoginTimeout is the close cause of a connection that did not
// authenticate within Config.LoginTimeout.
var errLoginTimeout = errors.New("login timeout")

// ErrClosed is returned by Notify on a closed connection.
var ErrClosed = errors.New("ws: connection closed")
