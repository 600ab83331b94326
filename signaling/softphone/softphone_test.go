package softphone_test

import (
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"switchboard/agent"
	"switchboard/internal/deptest"
	"switchboard/media"
	"switchboard/signaling/softphone"
	"switchboard/signaling/ws"
	"switchboard/signaling/ws/wstest"
	"switchboard/store"
	"switchboard/store/sqlite"
	"switchboard/view"
)

// newServer runs the agent websocket on a real core and store with one
// agent, a1 / pw-a1.
// loginA1 dials url and logs agent a1 in: the client and the login
// result.
func loginA1(t *testing.T, url string) (*wstest.Client, agent.LoginResult) {
	t.Helper()
	c := wstest.Dial(t, url, nil)
	var res agent.LoginResult
	c.MustCall("login", map[string]string{"agent": "a1", "password": "pw-a1"}, &res)
	return c, res
}

func newServer(t *testing.T) string {
	t.Helper()
	return newServerWith(t, softphone.Config{LoginRate: 3}, nil)
}

// newServerWith is newServer with cfg (Core and Logger are filled in) and
// the core's store wrapped by wrap (nil: none).
func newServerWith(t *testing.T, cfg softphone.Config, wrap func(store.Store) store.Store) string {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	st, err := sqlite.Open(t.Context(), t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.PutAgent(t.Context(), store.Agent{ID: "a1", Name: "Ann", Extension: "1001"}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetPassword(t.Context(), "a1", "pw-a1"); err != nil {
		t.Fatal(err)
	}
	pacer := media.NewPacer(media.PacerConfig{Manual: true})
	t.Cleanup(func() { pacer.Close() })
	var cs store.Store = st
	if wrap != nil {
		cs = wrap(st)
	}
	core, err := agent.New(t.Context(), agent.Config{Pacer: pacer, Store: cs, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.Close() })
	cfg.Core, cfg.Logger = core, log
	srv, err := softphone.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	return wstest.URL(hs.URL, "/ws/agent")
}

func code(t *testing.T, err error) int {
	t.Helper()
	e := wstest.RPCError(err)
	if e == nil {
		t.Fatalf("error %v is not a JSON-RPC error", err)
	}
	return e.Code
}

func TestLoginFirst(t *testing.T) {
	url := newServer(t)
	c := wstest.Dial(t, url, nil)
	err := c.Call(t.Context(), "activity.set", map[string]string{"activity": "available"}, nil)
	if err == nil || code(t, err) != ws.CodeUnauthorized {
		t.Fatalf("activity.set before login = %v, want -32001", err)
	}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("socket not closed after a request before login")
	}
}

func TestLoginAndActivity(t *testing.T) {
	url := newServer(t)
	c, res := loginA1(t, url)
	if res.Agent.ID != "a1" || !res.Agent.Connected || res.Calls == nil {
		t.Fatalf("login result %+v", res)
	}
	var av view.Agent
	c.MustCall("activity.set", map[string]string{"activity": "available"}, &av)
	if av.Activity != "available" {
		t.Errorf("activity.set result %+v", av)
	}
	c.WaitNotification("agent.updated", 5*time.Second)
	err := c.Call(t.Context(), "activity.set", map[string]string{"activity": "asleep"}, nil)
	if err == nil || code(t, err) != ws.CodeInvalidParams {
		t.Errorf("bad activity = %v, want -32602", err)
	}
	err = c.Call(t.Context(), "call.hold", map[string]string{"call": "nope"}, nil)
	if err == nil || code(t, err) != ws.CodeNotFound {
		t.Errorf("hold of an unknown call = %v, want -32002", err)
	}
	err = c.Call(t.Context(), "call.hold", map[string]string{}, nil)
	if err == nil || code(t, err) != ws.CodeInvalidParams {
		t.Errorf("hold without call = %v, want -32602", err)
	}
}

// Only failed logins count toward the limit; once it is reached even the
// right password is refused for a while.
func TestLoginRateLimit(t *testing.T) {
	url := newServer(t)
	for i := range 5 { // more good logins than the limit of 3: all fine
		c := wstest.Dial(t, url, nil)
		if err := c.Call(t.Context(), "login", map[string]string{"agent": "a1", "password": "pw-a1"}, nil); err != nil {
			t.Fatalf("good login %d: %v", i, err)
		}
		c.Close()
	}
	for i := range 3 {
		c := wstest.Dial(t, url, nil)
		err := c.Call(t.Context(), "login", map[string]string{"agent": "a1", "password": "wrong"}, nil)
		if err == nil || code(t, err) != ws.CodeUnauthorized {
			t.Fatalf("bad login %d = %v, want -32001", i, err)
		}
	}
	c := wstest.Dial(t, url, nil)
	err := c.Call(t.Context(), "login", map[string]string{"agent": "a1", "password": "pw-a1"}, nil)
	if err == nil || wstest.RPCError(err).Reason == "" {
		t.Fatalf("login after 3 failures = %v, want refused", err)
	}
}

func TestDeps(t *testing.T) {
	deptest.Check(t, "switchboard/signaling/softphone", map[string]string{
		"github.com/pion/webrtc/v4": "pion lives in media/webrtcleg",
		"github.com/emiago/sipgo":   "sipgo lives in signaling/trunk",
	})
}
