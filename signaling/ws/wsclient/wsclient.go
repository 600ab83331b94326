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

type response struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *Error          `json:"error"`
}

// Client is a JSON-RPC 2.0 websocket client.
type Client struct {
	conn     *websocket.Conn
	next     atomic.Int64
	onNotify func(method string, params json.RawMessage)

	mu      sync.Mutex // guards following
	pending map[string]chan response
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
}

// Dial connects to url (ws:// or wss://).
func Dial(ctx context.Context, url string, opt Options) (*Client, error) {
	local, onNotify := opt.LocalAddr, opt.OnNotify
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	if local.IsValid() {
		nd := &net.Dialer{LocalAddr: &net.TCPAddr{IP: local.AsSlice()}}
		d.NetDialContext = nd.DialContext
	}
	conn, _, err := d.DialContext(ctx, url, nil)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	c := &Client{conn: conn, onNotify: onNotify, pending: map[string]chan response{}, done: make(chan struct{})}
	c.wg.Go(c.readLoop)
	return c, nil
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
		var r response
		if json.Unmarshal(data, &r) != nil {
			continue
		}
		if len(r.ID) == 0 || string(r.ID) == "null" {
			if r.Method != "" && c.onNotify != nil {
				c.onNotify(r.Method, r.Params)
			}
			continue
		}
		c.mu.Lock()
		ch := c.pending[string(r.ID)]
		delete(c.pending, string(r.ID))
		c.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	}
}

// Call sends method with params and decodes the result into out (if
// non-nil). A JSON-RPC error answer is returned as *Error (wrapped).
func (c *Client) Call(ctx context.Context, method string, params, out any) error {
	id := strconv.FormatInt(c.next.Add(1), 10)
	ch := make(chan response, 1) // one answer per id
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return fmt.Errorf("%s: connection closed: %w", method, err)
	}
	c.pending[id] = ch
	c.mu.Unlock()
	msg, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": json.RawMessage(id), "method": method, "params": params})
	if err != nil {
		return err
	}
	c.writeMu.Lock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second)) // fails only on a closed conn, and then so does the write
	err = c.conn.WriteMessage(websocket.TextMessage, msg)
	c.writeMu.Unlock()
	if err != nil {
		return fmt.Errorf("%s: write: %w", method, err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: connection closed", method)
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
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
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
