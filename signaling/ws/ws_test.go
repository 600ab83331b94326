package ws_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"switchboard/internal/waittest"
	"switchboard/signaling/ws"
	"switchboard/signaling/ws/wstest"
)

type echoParams struct {
	Text  string `json:"text"`
	Count int    `json:"count"`
}

type server struct {
	h      *ws.Handler
	srv    *httptest.Server
	closed atomic.Int32 // sessions told Closed
	conns  chan *ws.Conn
}

type session struct {
	ws.Mux
	s *server
}

func (s *session) Closed(error) { s.s.closed.Add(1) }

func newServer(t *testing.T, cfg ws.Config, gate string) *server {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s := &server{conns: make(chan *ws.Conn, 16)}
	h, err := ws.NewHandler(cfg, func(ctx context.Context, c *ws.Conn) ws.Session {
		s.conns <- c
		sess := &session{s: s}
		sess.Register("echo", ws.Typed(func(ctx context.Context, p echoParams) (echoParams, error) {
			return p, nil
		}))
		sess.Register("auth", ws.Typed(func(ctx context.Context, p struct{ Token string }) (struct{}, error) {
			if p.Token != "secret" {
				return struct{}{}, ws.Unauthorized("token: wrong token")
			}
			return struct{}{}, nil
		}))
		sess.Register("fail", func(context.Context, json.RawMessage) (any, error) {
			return nil, errors.New("boom")
		})
		sess.Register("panic", func(context.Context, json.RawMessage) (any, error) {
			panic("handler bug")
		})
		sess.Register("notify", ws.Typed(func(ctx context.Context, p echoParams) (struct{}, error) {
			for i := range p.Count {
				if err := c.Notify("tick", map[string]any{"i": i, "text": p.Text}); err != nil {
					return struct{}{}, err
				}
			}
			return struct{}{}, nil
		}))
		if gate != "" {
			return ws.Gate(gate, sess)
		}
		return sess
	})
	if err != nil {
		t.Fatal(err)
	}
	s.h = h
	s.srv = wstest.Serve(t, h)
	return s
}

func (s *server) url() string { return wstest.URL(s.srv.URL, "/") }

// waitFor polls cond until it holds, for 10 s at the most.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waittest.For(t, what, 10*time.Second, cond)
}

func TestEchoAndNotifications(t *testing.T) {
	s := newServer(t, ws.Config{}, "")
	c := wstest.Dial(t, s.url(), nil)
	var got echoParams
	c.MustCall("echo", echoParams{Text: "héllo", Count: 3}, &got)
	if got.Text != "héllo" || got.Count != 3 {
		t.Errorf("echo = %+v", got)
	}
	c.MustCall("notify", echoParams{Text: "x", Count: 3}, nil)
	for i := range 3 {
		n := c.WaitNotification("tick", 5*time.Second)
		var p struct{ I int }
		if err := json.Unmarshal(n.Params, &p); err != nil || p.I != i {
			t.Errorf("notification %d = %s (%v)", i, n.Params, err)
		}
	}
}

func TestErrors(t *testing.T) {
	s := newServer(t, ws.Config{}, "")
	c := wstest.Dial(t, s.url(), nil)
	ctx := t.Context()
	tests := []struct {
		name   string
		id     string
		msg    string
		code   int
		reason string
	}{
		{"parse error", "null", `{"jsonrpc":"2.0","id":1,`, ws.CodeParseError, "malformed JSON"},
		{"not an object", "null", `"hello"`, ws.CodeInvalidRequest, "JSON object"},
		{"batch", "null", `[{"jsonrpc":"2.0","id":1,"method":"echo"}]`, ws.CodeInvalidRequest, "batch"},
		{"no version", "2", `{"id":2,"method":"echo"}`, ws.CodeInvalidRequest, "jsonrpc"},
		{"no method", "3", `{"jsonrpc":"2.0","id":3}`, ws.CodeInvalidRequest, "method"},
		{"bad id", "null", `{"jsonrpc":"2.0","id":{},"method":"echo"}`, ws.CodeInvalidRequest, "id"},
		{"scalar params", "4", `{"jsonrpc":"2.0","id":4,"method":"echo","params":5}`, ws.CodeInvalidRequest, "params"},
		{"unknown method", `"x"`, `{"jsonrpc":"2.0","id":"x","method":"nope"}`, ws.CodeMethodNotFound, "nope"},
		{"bad params", "5", `{"jsonrpc":"2.0","id":5,"method":"echo","params":{"count":"three"}}`, ws.CodeInvalidParams, "count: must be a number"},
		{"handler error", "6", `{"jsonrpc":"2.0","id":6,"method":"fail"}`, ws.CodeInternalError, "boom"},
		{"handler panic", "7", `{"jsonrpc":"2.0","id":7,"method":"panic"}`, ws.CodeInternalError, "panic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := c.RawCall(ctx, tt.id, []byte(tt.msg))
			if err != nil {
				t.Fatal(err)
			}
			if r.Error == nil {
				t.Fatalf("%s: got result %s, want error %d", tt.msg, r.Result, tt.code)
			}
			if r.Error.Code != tt.code || r.Error.Data == nil || !strings.Contains(r.Error.Data.Reason, tt.reason) {
				t.Errorf("%s: error = %d %+v, want %d with reason containing %q", tt.msg, r.Error.Code, r.Error.Data, tt.code, tt.reason)
			}
		})
	}
	// The connection survives all of the above.
	c.MustCall("echo", echoParams{Text: "still here"}, nil)
	// A client notification gets no answer; the next request is answered.
	if err := c.WriteRaw([]byte(`{"jsonrpc":"2.0","method":"echo","params":{"text":"n"}}`)); err != nil {
		t.Fatal(err)
	}
	var got echoParams
	c.MustCall("echo", echoParams{Text: "after"}, &got)
	if got.Text != "after" {
		t.Errorf("got %+v after a notification", got)
	}
}

func TestOrigin(t *testing.T) {
	tests := []struct {
		name    string
		allowed []string
		origin  string // "" = no header; "SELF" = the server's own origin
		ok      bool
	}{
		{"no origin header", nil, "", true},
		{"same host", nil, "SELF", true},
		{"other host", nil, "http://evil.example", false},
		{"garbage", nil, "::::", false},
		{"allow-listed origin", []string{"https://ops.example.com"}, "https://ops.example.com", true},
		{"allow-listed host", []string{"ops.example.com"}, "https://ops.example.com", true},
		{"wrong scheme", []string{"https://ops.example.com"}, "http://ops.example.com", false},
		// PROTOCOL §14: -allowed-origins adds to the page's own origin.
		{"allow-list keeps self", []string{"https://ops.example.com"}, "SELF", true},
		{"allow-list refuses others", []string{"https://ops.example.com"}, "https://evil.example", false},
		{"star", []string{"*"}, "http://anything.example", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, ws.Config{AllowedOrigins: tt.allowed}, "")
			h := http.Header{}
			switch tt.origin {
			case "":
			case "SELF":
				h.Set("Origin", s.srv.URL)
			default:
				h.Set("Origin", tt.origin)
			}
			c, err := wstest.DialErr(t, s.url(), h)
			if tt.ok {
				if err != nil {
					t.Fatalf("dial with Origin %q: %v", tt.origin, err)
				}
				c.MustCall("echo", echoParams{}, nil)
				return
			}
			if err == nil || !strings.Contains(err.Error(), "HTTP 403") {
				t.Fatalf("dial with Origin %q: err = %v, want HTTP 403", tt.origin, err)
			}
		})
	}
}

func TestMessageTooBig(t *testing.T) {
	s := newServer(t, ws.Config{}, "")
	c := wstest.Dial(t, s.url(), nil)
	// Exactly at the limit is accepted.
	base := `{"jsonrpc":"2.0","id":1,"method":"echo","params":{"text":""}}`
	msg := strings.Replace(base, `""`, `"`+strings.Repeat("a", 64<<10-len(base))+`"`, 1)
	if len(msg) != 64<<10 {
		t.Fatalf("len %d", len(msg))
	}
	if r, err := c.RawCall(t.Context(), "1", []byte(msg)); err != nil || r.Error != nil {
		t.Fatalf("64 KiB message: %v %+v", err, r.Error)
	}
	if err := c.WriteRaw([]byte(msg + " ")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("connection not closed after a 64 KiB + 1 message")
	}
	if code := c.CloseCode(); code != websocket.CloseMessageTooBig {
		t.Errorf("close code = %d (%v), want 1009", code, c.CloseError())
	}
	waitFor(t, "server to drop the connection", func() bool { return s.h.Conns() == 0 })
}

func TestSlowReaderIsDropped(t *testing.T) {
	s := newServer(t, ws.Config{SendQueue: 8}, "")
	// A raw client that sends one request and never reads.
	conn, _, err := websocket.DefaultDialer.Dial(s.url(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sc := <-s.conns
	big := strings.Repeat("z", 32<<10)
	var sent int
	start := time.Now()
	for {
		if err := sc.Notify("flood", big); err != nil {
			break
		}
		sent++
		if time.Since(start) > 20*time.Second {
			t.Fatalf("Notify never failed after %d messages to a reader that never reads", sent)
		}
	}
	// Every Notify returned at once: the producer was never blocked.
	select {
	case <-sc.Done():
	default:
		t.Fatal("connection not shut down after its queue filled")
	}
	if err := sc.Cause(); err == nil || !strings.Contains(err.Error(), "send queue full") {
		t.Errorf("cause = %v, want send queue full", err)
	}
	if err := sc.Notify("x", nil); !errors.Is(err, ws.ErrClosed) {
		t.Errorf("Notify after close = %v, want ErrClosed", err)
	}
	t.Logf("dropped after %d queued 32 KiB notifications in %v", sent, time.Since(start))
	waitFor(t, "server to end the connection", func() bool { return s.h.Conns() == 0 && s.closed.Load() == 1 })
}

func TestKeepaliveDropsSilentPeer(t *testing.T) {
	s := newServer(t, ws.Config{PingInterval: 50 * time.Millisecond}, "")
	// Client that reads (so it answers pings) stays connected.
	alive := wstest.Dial(t, s.url(), nil)
	// Raw client that never reads never answers pings.
	conn, _, err := websocket.DefaultDialer.Dial(s.url(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	waitFor(t, "two connections", func() bool { return s.h.Conns() == 2 })
	waitFor(t, "silent peer dropped", func() bool { return s.h.Conns() == 1 })
	var got echoParams
	alive.MustCall("echo", echoParams{Text: "alive"}, &got)
	if got.Text != "alive" {
		t.Errorf("echo = %+v", got)
	}
}

func TestGate(t *testing.T) {
	s := newServer(t, ws.Config{}, "auth")
	t.Run("other method first", func(t *testing.T) {
		c := wstest.Dial(t, s.url(), nil)
		err := c.Call(t.Context(), "echo", echoParams{}, nil)
		if e := wstest.RPCError(err); e == nil || e.Code != ws.CodeUnauthorized || !strings.Contains(e.Reason, "first request must be auth") {
			t.Fatalf("echo before auth = %v", err)
		}
		<-c.Done()
		if code := c.CloseCode(); code != websocket.ClosePolicyViolation {
			t.Errorf("close code = %d, want 1008", code)
		}
	})
	t.Run("wrong token", func(t *testing.T) {
		c := wstest.Dial(t, s.url(), nil)
		err := c.Call(t.Context(), "auth", map[string]string{"token": "guess"}, nil)
		if e := wstest.RPCError(err); e == nil || e.Code != ws.CodeUnauthorized || e.Reason != "token: wrong token" {
			t.Fatalf("auth with wrong token = %v", err)
		}
		<-c.Done()
	})
	t.Run("good token", func(t *testing.T) {
		c := wstest.Dial(t, s.url(), nil)
		c.MustCall("auth", map[string]string{"token": "secret"}, nil)
		c.MustCall("echo", echoParams{}, nil)
	})
}

func TestHandlerClose(t *testing.T) {
	s := newServer(t, ws.Config{}, "")
	var clients []*wstest.Client
	for range 3 {
		c := wstest.Dial(t, s.url(), nil)
		c.MustCall("echo", echoParams{}, nil)
		clients = append(clients, c)
	}
	if n := s.h.Conns(); n != 3 {
		t.Fatalf("Conns = %d, want 3", n)
	}
	if err := s.h.Close(); err != nil {
		t.Fatal(err)
	}
	if n, closed := s.h.Conns(), s.closed.Load(); n != 0 || closed != 3 {
		t.Errorf("after Close: Conns = %d, Closed sessions = %d", n, closed)
	}
	for _, c := range clients {
		<-c.Done()
		if code := c.CloseCode(); code != websocket.CloseGoingAway {
			t.Errorf("close code = %d, want 1001", code)
		}
	}
	if err := s.h.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
	if _, err := wstest.DialErr(t, s.url(), nil); err == nil {
		t.Error("dial after Close succeeded")
	}
}
