package web

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

func startWith(t *testing.T, cfg Config) string {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	s := New(cfg)
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.Run(t.Context()) })
	t.Cleanup(func() { s.Shutdown(); wg.Wait() })
	<-s.Ready()
	return s.Addr().String()
}

// closedWithin reports whether the server closes c within d (reading and
// discarding whatever it sends first).
func closedWithin(t *testing.T, c net.Conn, d time.Duration) bool {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return true
}

// The old server had no IdleTimeout or ReadTimeout: a kept-alive or
// slowly written connection held its descriptor forever.
func TestConnectionTimeouts(t *testing.T) {
	addr := startWith(t, Config{ReadHeaderTimeout: 200 * time.Millisecond, ReadTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond})
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	t.Run("idle keep-alive", func(t *testing.T) {
		c := dial()
		if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("response %v %v", res, err)
		}
		if !closedWithin(t, c, 5*time.Second) {
			t.Error("idle keep-alive connection still open 5 s after a 300 ms IdleTimeout")
		}
	})
	t.Run("slow headers", func(t *testing.T) {
		c := dial()
		_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\n")
		if !closedWithin(t, c, 5*time.Second) {
			t.Error("half-sent headers still open after 5 s")
		}
	})
	t.Run("slow body", func(t *testing.T) {
		c := dial()
		_, _ = io.WriteString(c, "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc")
		if !closedWithin(t, c, 5*time.Second) {
			t.Error("body shorter than its Content-Length still open after 5 s")
		}
	})
}

func TestTimeoutDefaults(t *testing.T) {
	s := New(Config{})
	if s.srv.ReadHeaderTimeout != 10*time.Second || s.srv.ReadTimeout != 60*time.Second ||
		s.srv.WriteTimeout != 60*time.Second || s.srv.IdleTimeout != 120*time.Second {
		t.Errorf("defaults: header %v read %v write %v idle %v", s.srv.ReadHeaderTimeout, s.srv.ReadTimeout, s.srv.WriteTimeout, s.srv.IdleTimeout)
	}
}
