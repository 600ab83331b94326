package ws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Session answers the requests of one connection. Handle is called from the
// connection's reader goroutine, one request at a time, in arrival order.
// It returns the result (marshalled as JSON; nil means {}) or an error
// (*Error chooses the code; see CloseAfter). For a method it does not know
// it should return MethodNotFound(method).
type Session interface {
	Handle(ctx context.Context, method string, params json.RawMessage) (result any, err error)
}

// Closer is implemented by a Session that wants to know when its connection
// has ended. Closed is called once, after the reader and the writer have
// exited, with the cause.
type Closer interface {
	Closed(cause error)
}

// SessionFunc adapts a function to Session.
type SessionFunc func(ctx context.Context, method string, params json.RawMessage) (any, error)

// Handle implements Session.
func (f SessionFunc) Handle(ctx context.Context, method string, params json.RawMessage) (any, error) {
	return f(ctx, method, params)
}

// outMsg is one item of the send queue: a text message, or a request to
// close once everything before it has been written.
type outMsg struct {
	data      []byte
	closeCode int // != 0: write a close frame with this code and closeText, then stop
	closeText string
}

// Conn is one websocket connection. Its methods are safe for concurrent use.
type Conn struct {
	ws     *websocket.Conn
	cfg    *Config
	log    *slog.Logger
	remote string

	// send carries encoded messages to the writer goroutine. Buffer:
	// Config.SendQueue; when full, the connection is closed (slow reader).
	// Never closed (senders may race with shutdown); done signals the end.
	send chan outMsg
	done chan struct{} // closed by shutdown

	authed  atomic.Bool // set once by Gate (markAuthenticated)
	began   atomic.Bool // Gate received its method: the login deadline no longer applies
	release func()      // gives back the Admission slot; idempotent, set before serving

	closeOnce sync.Once
	mu        sync.Mutex // guards following
	cause     error
	closeCode int
	closeText string
}

func newConn(ws *websocket.Conn, cfg *Config, remote string) *Conn {
	return &Conn{
		ws:      ws,
		cfg:     cfg,
		log:     cfg.Logger.With("remote", remote, "kind", cfg.Kind),
		remote:  remote,
		send:    make(chan outMsg, cfg.SendQueue),
		done:    make(chan struct{}),
		release: func() {},
	}
}

// Authenticated reports whether the connection's Gate has let a first
// request through.
func (c *Conn) Authenticated() bool { return c.authed.Load() }

// loginBegan marks that the Gate's method has been received: the login
// deadline counts until a login is sent, not until it is checked.
func (c *Conn) loginBegan() { c.began.Store(true) }

// markAuthenticated ends the login deadline and frees the Admission slot.
func (c *Conn) markAuthenticated() {
	if !c.authed.Swap(true) {
		c.release()
	}
}

// RemoteAddr returns the peer's address (host:port) as seen by the server.
func (c *Conn) RemoteAddr() string { return c.remote }

// Done is closed when the connection is shutting down.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Cause returns why the connection ended (nil while it is open).
func (c *Conn) Cause() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cause
}

// Notify enqueues a JSON-RPC notification {method, params} without
// blocking. If the send queue is full the connection is closed and Notify
// returns an error; on a closed connection it returns ErrClosed.
func (c *Conn) Notify(method string, params any) error {
	b, err := json.Marshal(wireNotification{JSONRPC: "2.0", Method: method, Params: params})
	if err != nil {
		return fmt.Errorf("notify %s: %w", method, err)
	}
	return c.enqueue(outMsg{data: b})
}

// Close closes the connection at once with status 1000 and reason (sent in
// the close frame, truncated to fit). Pending messages are discarded. It is
// idempotent and does not wait; Handler.Close waits.
func (c *Conn) Close(reason string) {
	c.shutdown(websocket.CloseNormalClosure, reason, errors.New("closed: "+reason))
}

// closeAfterPending enqueues a close after the messages already queued.
func (c *Conn) closeAfterPending(code int, reason string) {
	if err := c.enqueue(outMsg{closeCode: code, closeText: reason}); err != nil {
		c.shutdown(code, reason, errors.New(reason))
	}
}

func (c *Conn) enqueue(m outMsg) error {
	select {
	case <-c.done:
		return ErrClosed
	default:
	}
	select {
	case c.send <- m:
		return nil
	case <-c.done:
		return ErrClosed
	default:
		c.shutdown(websocket.ClosePolicyViolation, "send queue full", errSendQueueFull)
		// The writer is most likely stuck on a full socket, where no close
		// frame can pass anyway: drop the socket now rather than at the
		// write deadline.
		_ = c.ws.NetConn().Close() // a socket being dropped: shutdown above holds the cause
		return errSendQueueFull
	}
}

// shutdown records the first cause and close code and signals both loops.
func (c *Conn) shutdown(code int, text string, cause error) {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.cause, c.closeCode, c.closeText = cause, code, text
		c.mu.Unlock()
		close(c.done)
	})
}

// writeLoop is the only writer. It returns after the close frame has been
// written (or writing failed) and the socket has been closed, which also
// ends the reader.
func (c *Conn) writeLoop() {
	ping := time.NewTicker(c.cfg.PingInterval)
	defer ping.Stop()
	defer c.ws.Close() //nolint:errcheck // unblocks the reader; error is irrelevant
	for {
		select {
		case m := <-c.send:
			if m.closeCode != 0 {
				c.shutdown(m.closeCode, m.closeText, errors.New(m.closeText))
				c.writeClose()
				return
			}
			_ = c.ws.SetWriteDeadline(time.Now().Add(c.cfg.WriteTimeout)) // fails only on a closed socket, and then so does the write below
			if err := c.ws.WriteMessage(websocket.TextMessage, m.data); err != nil {
				c.shutdown(websocket.CloseAbnormalClosure, "", fmt.Errorf("write: %w", err))
				return
			}
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.cfg.WriteTimeout)); err != nil {
				c.shutdown(websocket.CloseAbnormalClosure, "", fmt.Errorf("ping: %w", err))
				return
			}
		case <-c.done:
			c.writeClose()
			return
		}
	}
}

func (c *Conn) writeClose() {
	c.mu.Lock()
	code, text := c.closeCode, c.closeText
	c.mu.Unlock()
	if code == 0 || code == websocket.CloseAbnormalClosure {
		return
	}
	if len(text) > 120 { // control frames carry at most 125 bytes
		text = text[:120]
	}
	if err := c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(c.cfg.WriteTimeout)); err != nil {
		c.log.Debug("close frame not sent", "code", code, "err", err) // the peer went first: it closes either way
	}
}

// readLoop is the only reader; it dispatches requests to sess until the
// connection fails or is closed.
func (c *Conn) readLoop(ctx context.Context, sess Session) error {
	c.ws.SetReadLimit(c.cfg.MaxMessage)
	wait := 2 * c.cfg.PingInterval
	_ = c.ws.SetReadDeadline(time.Now().Add(wait)) // fails only on a closed socket, and then so does the read below
	c.ws.SetPongHandler(func(string) error {
		return c.ws.SetReadDeadline(time.Now().Add(wait))
	})
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				// gorilla has already sent close 1009.
				c.shutdown(websocket.CloseAbnormalClosure, "", fmt.Errorf("message over %d bytes", c.cfg.MaxMessage))
			}
			return err
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(wait)) // as above: the next read reports a closed socket
		select {
		case <-c.done:
			return c.Cause()
		default:
		}
		if typ != websocket.TextMessage {
			c.reply(encodeError(nil, &Error{Code: CodeInvalidRequest, Reason: "binary messages are not supported"}))
			continue
		}
		c.dispatch(ctx, sess, data)
	}
}

func (c *Conn) dispatch(ctx context.Context, sess Session, data []byte) {
	req, id, derr := Decode(data)
	if derr != nil {
		c.log.Debug("ws bad message", "code", derr.Code, "reason", derr.Reason)
		c.reply(encodeError(id, derr))
		return
	}
	c.log.Debug("ws request", "method", req.Method)
	result, err := c.call(ctx, sess, req)
	if req.IsNotification() {
		if err != nil {
			c.log.Debug("ws notification failed", "method", req.Method, "err", err)
		}
	} else if err != nil {
		c.reply(encodeError(req.ID, err))
	} else if b, mErr := encodeResult(req.ID, result); mErr != nil {
		c.log.Error("ws encode result", "method", req.Method, "err", mErr)
		c.reply(encodeError(req.ID, &Error{Code: CodeInternalError, Reason: "result not encodable"}))
	} else {
		c.reply(b)
	}
	var ca closeAfter
	if errors.As(err, &ca) {
		c.closeAfterPending(websocket.ClosePolicyViolation, ca.Error())
	}
}

// call runs the handler, turning a panic into an internal error so one bad
// request cannot take the process down.
func (c *Conn) call(ctx context.Context, sess Session, req Request) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("ws handler panic", "method", req.Method, "panic", p)
			result, err = nil, &Error{Code: CodeInternalError, Reason: "handler panic"}
		}
	}()
	return sess.Handle(ctx, req.Method, req.Params)
}

func (c *Conn) reply(b []byte) {
	_ = c.enqueue(outMsg{data: b}) // full queue closes the connection
}
