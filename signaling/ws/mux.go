package ws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
)

// MethodFunc answers one method; params is nil when the request had none.
type MethodFunc func(ctx context.Context, params json.RawMessage) (any, error)

// Mux is a Session that dispatches by method name. Register all methods
// before serving; a Mux is then safe for concurrent use.
type Mux struct {
	methods map[string]MethodFunc
}

// Register adds (or replaces) the function answering method.
func (m *Mux) Register(method string, fn MethodFunc) {
	if m.methods == nil {
		m.methods = map[string]MethodFunc{}
	}
	m.methods[method] = fn
}

// Handle implements Session: unknown methods get -32601.
func (m *Mux) Handle(ctx context.Context, method string, params json.RawMessage) (any, error) {
	fn, ok := m.methods[method]
	if !ok {
		return nil, MethodNotFound(method)
	}
	return fn(ctx, params)
}

// Typed adapts fn, taking params decoded into P, to a MethodFunc. Missing
// params decode as the zero P. Unknown fields are ignored (forward
// compatibility); a field of the wrong type answers -32602 with the field's
// name as reason.
func Typed[P, R any](fn func(ctx context.Context, p P) (R, error)) MethodFunc {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var p P
		if err := DecodeParams(raw, &p); err != nil {
			return nil, err
		}
		return fn(ctx, p)
	}
}

// DecodeParams decodes raw params into v, answering a -32602 *Error that
// names the offending field when they do not fit.
func DecodeParams(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return InvalidParams(fmt.Sprintf("%s: must be %s, not %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value))
		}
		return InvalidParams("params: " + strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	default:
		return "a number"
	}
}

// Gate wraps next so that the first request must be method (e.g. "auth" or
// "login"). Any other first request is answered with -32001 and the
// connection is closed; if method itself fails, its error is answered and
// the connection is closed too. After a successful first call every request
// goes to next (a second call of method included), and the connection
// counts as authenticated (Config.LoginTimeout, Config.Admission).
func Gate(method string, next Session) Session {
	return &gate{method: method, next: next}
}

type gate struct {
	method string
	next   Session
	open   atomic.Bool
}

func (g *gate) Handle(ctx context.Context, method string, params json.RawMessage) (any, error) {
	if g.open.Load() {
		return g.next.Handle(ctx, method, params)
	}
	if method != g.method {
		return nil, CloseAfter(Unauthorized(fmt.Sprintf("first request must be %s, not %s", g.method, method)))
	}
	c := ConnFrom(ctx)
	if c != nil {
		c.loginBegan()
	}
	res, err := g.next.Handle(ctx, method, params)
	if err != nil {
		return nil, CloseAfter(err)
	}
	g.open.Store(true)
	if c != nil {
		c.markAuthenticated()
	}
	return res, nil
}

// Closed forwards to next if it is a Closer.
func (g *gate) Closed(cause error) {
	if c, ok := g.next.(Closer); ok {
		c.Closed(cause)
	}
}
