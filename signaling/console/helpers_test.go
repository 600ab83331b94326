package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/events"
	"switchboard/internal/waittest"
	"switchboard/signaling/console"
	"switchboard/signaling/ws"
	"switchboard/signaling/ws/wstest"
	"switchboard/store"
	"switchboard/store/sqlite"
	"switchboard/view"
)

const token = "test-token"

type fakeApplier struct {
	mu    sync.Mutex // guards following
	calls []string
}

func (f *fakeApplier) add(s string) {
	f.mu.Lock()
	f.calls = append(f.calls, s)
	f.mu.Unlock()
}
func (f *fakeApplier) ApplyAgent(a store.Agent) {
	f.add(fmt.Sprintf("agent %s %s cap=%d q=%v", a.ID, a.Extension, a.Capacity, a.Queues))
}
func (f *fakeApplier) RemoveAgent(id string) { f.add("-agent " + id) }
func (f *fakeApplier) ApplyQueue(q store.Queue) {
	f.add(fmt.Sprintf("queue %s t=%d", q.ID, q.TimeoutSeconds))
}
func (f *fakeApplier) RemoveQueue(id string)    { f.add("-queue " + id) }
func (f *fakeApplier) ApplyRoute(r store.Route) { f.add("route " + r.Number + " " + r.Target) }
func (f *fakeApplier) RemoveRoute(n string)     { f.add("-route " + n) }

func (f *fakeApplier) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

type fakeFloor struct {
	mu   sync.Mutex // guards following
	hung []string
}

func (f *fakeFloor) State() view.Floor {
	return view.Floor{Agents: []view.FloorAgent{}, Queues: []view.Queue{}, Calls: []view.Call{{ID: "c1", State: "active"}}}
}

// HangupCall ends c1 of this node or of n2; n3 does not answer.
func (f *fakeFloor) HangupCall(_ context.Context, node, id string) error {
	if node == "n3" {
		return &ws.Error{Code: ws.CodeInternalError, Reason: "call " + id + ": node n3 did not answer in time"}
	}
	if id != "c1" || (node != "" && node != "n2") {
		return fmt.Errorf("hangup %s: %w", id, console.ErrNoSuchCall)
	}
	f.mu.Lock()
	f.hung = append(f.hung, node+"/"+id)
	f.mu.Unlock()
	return nil
}

type env struct {
	t       testing.TB
	store   *sqlite.SQLite
	hub     *events.Hub
	applier *fakeApplier
	floor   *fakeFloor
	console *console.Console
	srv     *httptest.Server
}

func newEnv(t *testing.T, tweak func(*console.Config)) *env { return newEnvWith(t, tweak) }

func newEnvTB(t testing.TB) *env { return newEnvWith(t, nil) }

func newEnvWith(t testing.TB, tweak func(*console.Config)) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	st, err := sqlite.Open(t.Context(), t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: st, hub: events.NewHub(), applier: &fakeApplier{}, floor: &fakeFloor{}}
	cfg := console.Config{Store: st, Hub: e.hub, Applier: e.applier, Floor: e.floor, Token: token, Logger: log}
	if tweak != nil {
		tweak(&cfg)
	}
	c, err := console.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.console = c
	t.Cleanup(func() {
		_ = e.hub.Close()
		_ = st.Close()
	}) // runs after Serve's cleanup: the console is closed first
	e.srv = wstest.Serve(t, c)
	return e
}

func (e *env) url() string { return wstest.URL(e.srv.URL, "/ws/admin") }

// admin dials and authenticates.
func (e *env) admin() *wstest.Client {
	e.t.Helper()
	c := wstest.Dial(e.t, e.url(), nil)
	c.MustCall("auth", map[string]string{"token": token}, nil)
	return c
}

// call returns the *ws.Error of a call that must fail.
func call(t *testing.T, c *wstest.Client, method string, params any) *ws.Error {
	t.Helper()
	err := c.Call(t.Context(), method, params, nil)
	if err == nil {
		t.Fatalf("%s(%v) succeeded, want an error", method, params)
	}
	e := wstest.RPCError(err)
	if e == nil {
		t.Fatalf("%s(%v) = %v, want a JSON-RPC error", method, params, err)
	}
	return e
}

func wantErr(t *testing.T, c *wstest.Client, method string, params any, code int, reason string) {
	t.Helper()
	e := call(t, c, method, params)
	if e.Code != code || !strings.Contains(e.Reason, reason) {
		t.Errorf("%s(%v) = %d %q, want %d with reason containing %q", method, params, e.Code, e.Reason, code, reason)
	}
}

// waitFor polls cond until it holds, for 10 s at the most.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waittest.For(t, what, 10*time.Second, cond)
}

func isClosed(c *wstest.Client) bool {
	select {
	case <-c.Done():
		return true
	default:
		return false
	}
}

// httpDo sends method url with body and returns the status, the body and
// the Content-Type.
func httpDo(t *testing.T, method, url string, body io.Reader) (int, []byte, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header.Get("Content-Type")
}

// wantInvalidRaw sends params (raw JSON) and wants -32602 with a reason
// starting with reason.
func wantInvalidRaw(t *testing.T, c *wstest.Client, id int, method, params, reason string) {
	t.Helper()
	n := fmt.Sprint(id)
	r, err := c.RawCall(t.Context(), n, []byte(`{"jsonrpc":"2.0","id":`+n+`,"method":"`+method+`","params":`+params+`}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.Error == nil || r.Error.Code != ws.CodeInvalidParams || r.Error.Data == nil || !strings.HasPrefix(r.Error.Data.Reason, reason) {
		t.Errorf("%s %s = %s %+v, want -32602 with reason %q", method, params, r.Result, r.Error, reason)
	}
}
