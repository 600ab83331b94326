package webtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// RPCError is a JSON-RPC error object, as a fake gateway answers it.
type RPCError struct {
	Code    int            `json:"code"`
	Message string         `json:"message"`
	Data    map[string]any `json:"data,omitempty"`
}

// RPCConn is one websocket of a page served by an [RPCServer]; its writes
// are serialized.
type RPCConn struct {
	mu sync.Mutex // guards ws writes
	ws *websocket.Conn
}

// Send writes v as one JSON message (5 s write deadline).
func (c *RPCConn) Send(v any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return err
	}
	return c.ws.WriteJSON(v)
}

// Notify sends a JSON-RPC notification.
func (c *RPCConn) Notify(method string, params any) error {
	return c.Send(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
}

// RPCHandler answers one request that came on c. after, when not nil, runs
// once the answer is sent (a notification that must follow the answer).
type RPCHandler func(c *RPCConn, method string, params map[string]any) (result any, rerr *RPCError, after func())

// RPCServer is the websocket side of a fake gateway for page tests: it
// upgrades every request (any origin), reads JSON-RPC requests one at a
// time and answers each with what Handle returns. Set Handle before the
// first request.
type RPCServer struct {
	Handle RPCHandler

	wg    sync.WaitGroup
	mu    sync.Mutex // guards conns
	conns map[*RPCConn]bool
}

// ServeHTTP serves one websocket until it closes.
func (s *RPCServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the request
	}
	c := &RPCConn{ws: ws}
	s.mu.Lock()
	if s.conns == nil {
		s.conns = map[*RPCConn]bool{}
	}
	s.conns[c] = true
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		ws.Close() // the read error ended the loop; a close error adds nothing
		s.wg.Done()
	}()
	for {
		var msg struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Params map[string]any  `json:"params"`
		}
		if err := ws.ReadJSON(&msg); err != nil {
			return
		}
		result, rerr, after := s.Handle(c, msg.Method, msg.Params)
		reply := map[string]any{"jsonrpc": "2.0", "id": msg.ID}
		if rerr != nil {
			reply["error"] = rerr
		} else {
			reply["result"] = result
		}
		if c.Send(reply) != nil {
			return
		}
		if after != nil {
			after()
		}
	}
}

// Conns are the open websockets.
func (s *RPCServer) Conns() []*RPCConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*RPCConn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return slices.Clip(out)
}

// NotifyAll sends a notification on every open websocket; a socket that
// fails is being closed, and its page reconnects.
func (s *RPCServer) NotifyAll(method string, params any) {
	for _, c := range s.Conns() {
		_ = c.Notify(method, params) // a closing socket: its reader ends the conn
	}
}

// DropAll closes every websocket, as a gateway restart would.
func (s *RPCServer) DropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.ws.Close() // its reader sees the close and ends the conn
	}
}

// Close closes every websocket and waits for their handlers.
func (s *RPCServer) Close() {
	s.DropAll()
	s.wg.Wait()
}
