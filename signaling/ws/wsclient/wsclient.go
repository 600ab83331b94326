// Package wsclient is a JSON-RPC 2.0 client over websocket for programs
// that talk to the gateway's consoles: the load generator, scripts, other
// services. (Tests use the sibling wstest, which fails a testing.TB.)
//
// Concurrency: Call is safe for concurrent use; notifications are handed to
// Options.OnNotify on the reader goroutine, in order (it must not block for
// long). Close waits for the reader.
package wsclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Error is a JSON-RPC error answer.
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    *struct {
		Reason string `json:"reason"`
	} `json:"data"`
}

func (e *Error) Error() string {
	if e.Data != nil && e.Data.Reason != "" {
		return fmt.Sprintf("rpc %d %s: %s", e.Code, e.Message, e.Data.Reason)
	}
	return fmt.Sprintf("rpc %d %s", e.Code, e.Message)
}

// Response is a JSON-RPC answer as it came: Result, or Error.
type Response struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *Error          `json:"error"`
}

// message is what the reader decodes: an answer, or a notification.
type message struct {
	Response
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

// Client is a JSON-RPC 2.0 websocket client.
type Client struct {
	conn      *websocket.Conn
	next      atomic.Int64
	onNotify  func(method string, params json.RawMessage)
	onInvalid func(data []byte)

	mu      sync.Mutex // guards following
	pending map[string]chan Response
	err     error

	writeMu sync.Mutex // serializes writes
	done    chan struct{}
	wg      sync.WaitGroup
}

// URL turns http://host (or https://) into ws://host (wss://) + path.
func URL(httpURL, path string) string {
	return "ws" + strings.TrimPrefix(strings.TrimSuffix(httpURL, "/"), "http") + path
}

// Options configures Dial. The zero value is usable.
type Options struct {
	// LocalAddr, when valid, binds the TCP socket to it (a load generator
	// gives each simulated PC its own 127.x.y.z).
	LocalAddr netip.Addr
	// OnNotify receives server notifications on the reader goroutine.
	OnNotify func(method string, params json.RawMessage)
	// OnInvalid, when set, receives each message that is not JSON, on the
	// reader goroutine (a test fails on one); otherwise they are dropped.
	OnInvalid func(data []byte)
}

// Dial connects to url (ws:// or wss://).
func Dial(ctx context.Context, url string, opt Options) (*Client, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	if opt.LocalAddr.IsValid() {
		nd := &net.Dialer{LocalAddr: &net.TCPAddr{IP: opt.LocalAddr.AsSlice()}}
		d.NetDialContext = nd.DialContext
	}
	conn, _, err := d.DialContext(ctx, url, nil)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	return New(conn, opt), nil
}

// New wraps an open connection (dialled by the caller, with its own
// headers or TLS) in a Client and starts its reader. opt.LocalAddr is not
// used.
func New(conn *websocket.Conn, opt Options) *Client {
	c := &Client{conn: conn, onNotify: opt.OnNotify, onInvalid: opt.OnInvalid, pending: map[string]chan Response{}, done: make(chan struct{})}
	c.wg.Go(c.readLoop)
	return c
}

// Done is closed when the connection has ended.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is the error that ended the connection (a *websocket.CloseError
// carries the server's status code), or nil while it is open.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *Client) readLoop() {
	defer close(c.done)
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			c.mu.Lock()
			c.err = err
			for id, ch := range c.pending {
				close(ch)
				delete(c.pending, id)
			}
			c.mu.Unlock()
			return
		}
		var m message
		if json.Unmarshal(data, &m) != nil {
			if c.onInvalid != nil {
				c.onInvalid(data)
			}
			continue
		}
		id := string(m.ID)
		if m.Method != "" && (id == "" || id == "null") {
			if c.onNotify != nil {
				c.onNotify(m.Method, m.Params)
			}
			continue
		}
		c.mu.Lock()
		ch, ok := c.pending[id]
		if !ok {
			// An answer to a request the server could not read carries id
			// null (or none): it goes to a RawCall waiting on "null".
			id = "null"
			ch = c.pending[id]
		}
		delete(c.pending, id)
		c.mu.Unlock()
		if ch != nil {
			ch <- m.Response
		}
	}
}

// WriteRaw sends one text message as is.
func (c *Client) WriteRaw(data []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second)) // fails only on a closed conn, and then so does the write
	return c.conn.WriteMessage(websocket.TextMessage, data)
}

// RawCall sends data (a request written by the caller, valid or not) and
// waits for the answer carrying id, the JSON text of the request's id
// ("null" for one the server cannot attribute).
func (c *Client) RawCall(ctx context.Context, id string, data []byte) (Response, error) {
	ch := make(chan Response, 1) // one answer per id
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return Response{}, fmt.Errorf("connection closed: %w", err)
	}
	c.pending[id] = ch
	c.mu.Unlock()
	if err := c.WriteRaw(data); err != nil {
		c.forget(id)
		return Response{}, fmt.Errorf("write: %w", err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return Response{}, fmt.Errorf("connection closed: %w", c.Err())
		}
		return r, nil
	case <-ctx.Done():
		c.forget(id)
		return Response{}, ctx.Err()
	}
}

func (c *Client) forget(id string) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

// Call sends method with params (none when nil) and decodes the result
// into out (if non-nil). A JSON-RPC error answer is returned as *Error
// (wrapped).
func (c *Client) Call(ctx context.Context, method string, params, out any) error {
	id := strconv.FormatInt(c.next.Add(1), 10)
	req := map[string]any{"jsonrpc": "2.0", "id": json.RawMessage(id), "method": method}
	if params != nil {
		req["params"] = params
	}
	msg, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	r, err := c.RawCall(ctx, id, msg)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	if r.Error != nil {
		return fmt.Errorf("%s: %w", method, r.Error)
	}
	if out != nil {
		if err := json.Unmarshal(r.Result, out); err != nil {
			return fmt.Errorf("%s: decode result: %w", method, err)
		}
	}
	return nil
}

// Close closes the connection and waits for the reader. Idempotent.
func (c *Client) Close() error {
	c.writeMu.Lock()
	_ = c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.writeMu.Unlock()
	err := c.conn.Close()
	c.wg.Wait()
	if errors.Is(err, websocket.ErrCloseSent) {
		err = nil
	}
	return nil
}
