package ws_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"switchboard/signaling/ws"
	"switchboard/signaling/ws/wstest"
)

// newGated serves a Mux with "auth" (token "secret") and "echo" behind
// Gate("auth"), without the shared test server's bounded conns channel.
func newGated(t *testing.T, cfg ws.Config) (*ws.Handler, string) {
	t.Helper()
	cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	h, err := ws.NewHandler(cfg, func(ctx context.Context, c *ws.Conn) ws.Session {
		var m ws.Mux
		m.Register("auth", ws.Typed(func(ctx context.Context, p struct{ Token string }) (struct{}, error) {
			if p.Token != "secret" {
				return struct{}{}, ws.Unauthorized("token: wrong token")
			}
			return struct{}{}, nil
		}))
		m.Register("echo", ws.Typed(func(ctx context.Context, p echoParams) (echoParams, error) { return p, nil }))
		return ws.Gate("auth", &m)
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { h.Close(); srv.Close() })
	return h, wstest.URL(srv.URL, "/")
}

// A socket that never authenticates is closed at the login deadline; one
// that did stays open past it.
func TestLoginTimeout(t *testing.T) {
	const deadline = 300 * time.Millisecond
	_, url := newGated(t, ws.Config{LoginTimeout: deadline})
	authed := wstest.Dial(t, url, nil)
	authed.MustCall("auth", map[string]string{"token": "secret"}, nil)
	start := time.Now()
	idle := wstest.Dial(t, url, nil)
	select {
	case <-idle.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("socket without login still open 10 s after a 300 ms login deadline")
	}
	if took := time.Since(start); took < deadline {
		t.Errorf("closed after %v, before the %v deadline", took, deadline)
	}
	if code := idle.CloseCode(); code != wstest.ClosePolicyViolation {
		t.Errorf("close code = %d, want 1008", code)
	}
	if err := idle.CloseError(); err == nil || !strings.Contains(err.Error(), "login timeout") {
		t.Errorf("close reason = %v, want login timeout", err)
	}
	var got echoParams
	authed.MustCall("echo", echoParams{Text: "still here"}, &got) // past the deadline
	if got.Text != "still here" {
		t.Errorf("echo = %+v", got)
	}
}

// Unauthenticated sockets are capped in total and per source address; a
// login or a close gives the slot back.
func TestUnauthenticatedCaps(t *testing.T) {
	adm := ws.NewAdmission(4, 2)
	h, url := newGated(t, ws.Config{Admission: adm})
	dial := func(from string) (*wstest.Client, error) { return wstest.DialFrom(t, url, nil, from) }
	mustDial := func(from string) *wstest.Client {
		t.Helper()
		c, err := dial(from)
		if err != nil {
			t.Fatalf("dial from %s: %v", from, err)
		}
		return c
	}
	refused := func(from, why string) {
		t.Helper()
		if c, err := dial(from); err == nil {
			c.Close()
			t.Fatalf("dial from %s accepted, want 503 (%s)", from, why)
		} else if !strings.Contains(err.Error(), "HTTP 503") {
			t.Fatalf("dial from %s = %v, want HTTP 503 (%s)", from, err, why)
		}
	}
	a1 := mustDial("127.0.0.2")
	mustDial("127.0.0.2")
	refused("127.0.0.2", "third from one source, cap 2")
	b1 := mustDial("127.0.0.3")
	mustDial("127.0.0.3")
	refused("127.0.0.4", "fifth in total, cap 4")
	if n := adm.Unauthenticated(); n != 4 {
		t.Errorf("Unauthenticated = %d, want 4", n)
	}

	a1.MustCall("auth", map[string]string{"token": "secret"}, nil) // frees a slot
	mustDial("127.0.0.4")
	refused("127.0.0.5", "cap 4 again")
	b1.Close() // so does a close
	waitFor(t, "closed socket's slot back", func() bool { return adm.Unauthenticated() == 3 })
	mustDial("127.0.0.5")
	waitFor(t, "5 connections (one authenticated, four waiting)", func() bool { return h.Conns() == 5 })
}
