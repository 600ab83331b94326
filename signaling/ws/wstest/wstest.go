// Package wstest is a JSON-RPC websocket client for tests of servers built
// on package ws (/ws/admin, /ws/agent). Dial returns a ready client whose
// reader goroutine is stopped and waited for by t.Cleanup.
package wstest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"switchboard/signaling/ws"
	"switchboard/signaling/ws/wsclient"
)

// Notification is a server-to-client message without id.
type Notification struct {
	Method string
	Params json.RawMessage
}

// Response is a raw JSON-RPC response.
type Response = wsclient.Response

// Client is a test JSON-RPC client: a wsclient.Client that fails t on a
// message that is not JSON, hands notifications to a channel and returns
// JSON-RPC errors as *ws.Error.
type Client struct {
	*wsclient.Client
	t testing.TB

	// Notifications carries every notification, in order. Buffer 4096; when
	// full the reader blocks (tests that flood must drain it).
	Notifications chan Notification
}

// URL turns an httptest server URL (http://...) and a path into a ws:// URL.
func URL(serverURL, path string) string { return wsclient.URL(serverURL, path) }

// Dial connects to url (ws://...) with optional headers (e.g. Origin) and
// fails t on error.
func Dial(t testing.TB, url string, header http.Header) *Client {
	t.Helper()
	c, err := DialErr(t, url, header)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	return c
}

// DialErr is Dial returning the error (with the HTTP status, if any).
func DialErr(t testing.TB, url string, header http.Header) (*Client, error) {
	return DialFrom(t, url, header, "")
}

// DialFrom is DialErr from the local IP address from (e.g. "127.0.0.7",
// any loopback address works on Linux); "" lets the system choose.
func DialFrom(t testing.TB, url string, header http.Header, from string) (*Client, error) {
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	if from != "" {
		nd := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		d.NetDialContext = nd.DialContext
	}
	conn, resp, err := d.Dial(url, header)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("%w (HTTP %d)", err, resp.StatusCode)
		}
		return nil, err
	}
	return start(t, conn), nil
}

// start wraps an open connection in a Client and starts its reader.
func start(t testing.TB, conn *websocket.Conn) *Client {
	c := &Client{t: t, Notifications: make(chan Notification, 4096)}
	c.Client = wsclient.New(conn, wsclient.Options{
		OnNotify: func(method string, params json.RawMessage) {
			c.Notifications <- Notification{Method: method, Params: params}
		},
		OnInvalid: func(data []byte) { t.Errorf("wstest: server sent invalid JSON %q", data) },
	})
	t.Cleanup(c.Close)
	return c
}

// Close closes the connection and waits for the reader. Idempotent.
func (c *Client) Close() { _ = c.Client.Close() } // the error is the socket's own close, of no interest to a test

// CloseError returns the error that ended the connection (a
// *websocket.CloseError carries the server's status code), or nil.
func (c *Client) CloseError() error { return c.Err() }

// CloseCode returns the close status the server sent, or -1.
func (c *Client) CloseCode() int {
	var ce *websocket.CloseError
	if errors.As(c.Err(), &ce) {
		return ce.Code
	}
	return -1
}

// Call sends a request and decodes its result into out (may be nil). A
// JSON-RPC error is returned as *ws.Error.
func (c *Client) Call(ctx context.Context, method string, params, out any) error {
	err := c.Client.Call(ctx, method, params, out)
	var e *wsclient.Error
	if errors.As(err, &e) {
		we := &ws.Error{Code: e.Code, Message: e.Message}
		if e.Data != nil {
			we.Reason = e.Data.Reason
		}
		return we
	}
	return err
}

// MustCall is Call failing t on any error.
func (c *Client) MustCall(method string, params, out any) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), 10*time.Second)
	defer cancel()
	if err := c.Call(ctx, method, params, out); err != nil {
		c.t.Fatalf("%s(%v): %v", method, params, err)
	}
}

// RPCError returns err as *ws.Error, or nil.
func RPCError(err error) *ws.Error {
	var e *ws.Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// WaitNotification returns the next notification with method, skipping
// others, or fails t after timeout.
func (c *Client) WaitNotification(method string, timeout time.Duration) Notification {
	c.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case n := <-c.Notifications:
			if n.Method == method {
				return n
			}
		case <-deadline:
			c.t.Fatalf("no %s notification within %v", method, timeout)
			return Notification{}
		}
	}
}

// Stalled is a raw connection that never reads after the requests it is
// told to write: the server sees a peer whose receive buffers fill up.
type Stalled struct {
	conn *websocket.Conn
}

// DialStalled connects and returns a connection that only writes. Its
// socket is closed by t.Cleanup.
func DialStalled(t testing.TB, url string, header http.Header) *Stalled {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial(url, header)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &Stalled{conn: conn}
}

// Write sends one text message.
func (s *Stalled) Write(data string) error {
	return s.conn.WriteMessage(websocket.TextMessage, []byte(data))
}

// Close status codes tests compare with CloseCode (RFC 6455 §7.4.1).
const (
	CloseNormal          = websocket.CloseNormalClosure
	CloseGoingAway       = websocket.CloseGoingAway
	ClosePolicyViolation = websocket.ClosePolicyViolation
	CloseMessageTooBig   = websocket.CloseMessageTooBig
)

// Serve serves h (a ws.Handler or a server built on one) on a loopback
// httptest server until the end of the test; then it drops the client
// connections, closes h (an error fails t) and the server.
func Serve(t testing.TB, h interface {
	http.Handler
	Close() error
}) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		if err := h.Close(); err != nil {
			t.Error(err)
		}
		srv.Close()
	})
	return srv
}
