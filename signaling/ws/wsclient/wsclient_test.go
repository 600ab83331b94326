package wsclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/websocket"

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

// TestRawCallAndInvalid: an answer to a request the server could not read
// (id null) reaches the RawCall waiting on "null"; a message that is not
// JSON goes to OnInvalid and the connection goes on; Done and Err tell
// when and why the connection ended.
func TestRawCallAndInvalid(t *testing.T) {
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			answer := `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}`
			if string(data) == "bye" {
				_ = conn.WriteMessage(websocket.TextMessage, []byte("not json"))
				_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, ""), time.Now().Add(time.Second))
				return
			}
			_ = conn.WriteMessage(websocket.TextMessage, []byte(answer))
		}
	}))
	defer srv.Close()
	invalid := make(chan string, 1)
	c, err := wsclient.Dial(t.Context(), wsclient.URL(srv.URL, "/"), wsclient.Options{
		OnInvalid: func(data []byte) { invalid <- string(data) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	r, err := c.RawCall(ctx, "null", []byte(`{"jsonrpc":"2.0","id":1,`))
	if err != nil || r.Error == nil || r.Error.Code != -32700 {
		t.Fatalf("RawCall(null) = %+v, %v; want the -32700 answer", r, err)
	}
	if err := c.WriteRaw([]byte("bye")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("connection not ended after the server closed it")
	}
	select { // the reader handed it over before it saw the close
	case got := <-invalid:
		if got != "not json" {
			t.Errorf("OnInvalid got %q, want the invalid message", got)
		}
	default:
		t.Error("OnInvalid not called for a message that is not JSON")
	}
	var ce *websocket.CloseError
	if !errors.As(c.Err(), &ce) || ce.Code != websocket.CloseGoingAway {
		t.Errorf("Err() = %v, want the server's close 1001", c.Err())
	}
	if _, err := c.RawCall(ctx, "2", []byte(`{}`)); err == nil {
		t.Error("RawCall on an ended connection succeeded")
	}
}
