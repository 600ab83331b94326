package wsclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"switchboard/signaling/ws"
	"switchboard/signaling/ws/wsclient"
)

func TestCallAndNotify(t *testing.T) {
	h, err := ws.NewHandler(ws.Config{}, func(ctx context.Context, c *ws.Conn) ws.Session {
		return ws.SessionFunc(func(ctx context.Context, method string, params json.RawMessage) (any, error) {
			switch method {
			case "echo":
				_ = c.Notify("echoed", params)
				return params, nil
			}
			return nil, ws.InvalidParams("method: only echo")
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Close()
	notes := make(chan string, 1)
	c, err := wsclient.Dial(t.Context(), wsclient.URL(srv.URL, "/"), wsclient.Options{
		OnNotify: func(m string, p json.RawMessage) { notes <- m + " " + string(p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out map[string]int
	if err := c.Call(t.Context(), "echo", map[string]int{"x": 1}, &out); err != nil || out["x"] != 1 {
		t.Fatalf("echo = %v, %v", out, err)
	}
	select {
	case n := <-notes:
		if n != `echoed {"x":1}` {
			t.Errorf("notification %q", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notification")
	}
	err = c.Call(t.Context(), "other", nil, nil)
	var e *wsclient.Error
	if !errors.As(err, &e) || e.Code != ws.CodeInvalidParams || e.Data == nil || e.Data.Reason != "method: only echo" {
		t.Errorf("other = %v, want -32602 with the reason", err)
	}
}
