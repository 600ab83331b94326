package softphone_test

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/signaling/authlimit"
	"switchboard/signaling/softphone"
	"switchboard/signaling/ws"
	"switchboard/signaling/ws/wstest"
	"switchboard/store"
)

// countingStore counts the password checks that actually run and the most
// that ran at once.
type countingStore struct {
	store.Store
	checks, running, peak atomic.Int64
}

func (s *countingStore) CheckPassword(ctx context.Context, id, pw string) (bool, error) {
	s.checks.Add(1)
	n := s.running.Add(1)
	defer s.running.Add(-1)
	for {
		p := s.peak.Load()
		if n <= p || s.peak.CompareAndSwap(p, n) {
			break
		}
	}
	return s.Store.CheckPassword(ctx, id, pw)
}

// storm sends n wrong logins for a1 at once, one socket each, from
// 127.0.0.1, and counts the answers by reason.
func storm(t *testing.T, url string, n int) (wrong, limited, busy int64) {
	t.Helper()
	clients := make([]*wstest.Client, n)
	for i := range clients {
		c, err := wstest.DialFrom(t, url, nil, "127.0.0.1")
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		clients[i] = c
	}
	var wg sync.WaitGroup
	var nw, nl, nb atomic.Int64
	start := make(chan struct{})
	for _, c := range clients {
		wg.Go(func() {
			<-start
			err := c.Call(t.Context(), "login", map[string]string{"agent": "a1", "password": "guess"}, nil)
			e := wstest.RPCError(err)
			switch {
			case e == nil || e.Code != ws.CodeUnauthorized:
				t.Errorf("wrong login = %v, want -32001", err)
			case e.Reason == "wrong agent or password":
				nw.Add(1)
			case e.Reason == "busy":
				nb.Add(1)
			case strings.Contains(e.Reason, "too many failed"):
				nl.Add(1)
			default:
				t.Errorf("wrong login reason %q", e.Reason)
			}
		})
	}
	close(start)
	wg.Wait()
	return nw.Load(), nl.Load(), nb.Load()
}

// 200 parallel wrong logins from one address check exactly 10 passwords:
// the attempt is reserved before bcrypt (the old limiter checked the
// budget before bcrypt and spent it after, so all 200 were checked). The
// agent can still log in from an address that has not failed. The clock
// is frozen so that no token refills while bcrypt runs under -race.
func TestParallelWrongLoginsCannotRace(t *testing.T) {
	frozen := time.Now()
	lim := authlimit.New(authlimit.Config{MaxChecks: 1000, Now: func() time.Time { return frozen }})
	cs := &countingStore{}
	url := newServerWith(t, softphone.Config{Limiter: lim, Admission: ws.NewAdmission(1000, 1000)},
		func(s store.Store) store.Store { cs.Store = s; return cs })
	wrong, limited, busy := storm(t, url, 200)
	t.Logf("200 parallel wrong logins: %d passwords checked, %d refused over the limit, %d busy", cs.checks.Load(), limited, busy)
	if got := cs.checks.Load(); got != 10 || wrong != 10 || limited != 190 {
		t.Errorf("%d checked, %d wrong, %d limited; want 10, 10, 190", got, wrong, limited)
	}

	// The same address, even with the right password: refused unchecked.
	c := wstest.Dial(t, url, nil)
	err := c.Call(t.Context(), "login", map[string]string{"agent": "a1", "password": "pw-a1"}, nil)
	if e := wstest.RPCError(err); e == nil || e.Code != ws.CodeUnauthorized {
		t.Errorf("right password from the failing address = %v, want -32001", err)
	}
	if got := cs.checks.Load(); got != 10 {
		t.Errorf("a login over the limit checked the password (%d checks)", got)
	}
	// Another loopback address logs in.
	good, err := wstest.DialFrom(t, url, nil, "127.0.0.2")
	if err != nil {
		t.Fatal(err)
	}
	if err := good.Call(t.Context(), "login", map[string]string{"agent": "a1", "password": "pw-a1"}, nil); err != nil {
		t.Fatalf("right password from a clean address after the storm: %v", err)
	}
}

// With the default limiter, password checks never run more than NumCPU at
// once; the excess is refused with -32001 busy.
func TestPasswordChecksBoundedByCPUs(t *testing.T) {
	cs := &countingStore{}
	url := newServerWith(t, softphone.Config{Admission: ws.NewAdmission(1000, 1000)},
		func(s store.Store) store.Store { cs.Store = s; return cs })
	wrong, limited, busy := storm(t, url, 200)
	t.Logf("200 parallel wrong logins: %d checked, peak %d at once, %d busy, %d limited", cs.checks.Load(), cs.peak.Load(), busy, limited)
	if p := cs.peak.Load(); p > int64(runtime.NumCPU()) {
		t.Errorf("%d password checks at once, want at most NumCPU = %d", p, runtime.NumCPU())
	}
	if busy == 0 || wrong != cs.checks.Load() || wrong+limited+busy != 200 {
		t.Errorf("%d wrong, %d limited, %d busy (of 200), %d checked", wrong, limited, busy, cs.checks.Load())
	}
}

// Failures spread over many addresses lock the agent out from a clean
// address only above the agent-wide budget (100 by default, 5 here; the
// 100 is checked in authlimit).
func TestAgentLockoutFromEverywhere(t *testing.T) {
	frozen := time.Now() // no refill while bcrypt runs under -race
	lim := authlimit.New(authlimit.Config{PerSubject: 5, Now: func() time.Time { return frozen }})
	url := newServerWith(t, softphone.Config{Limiter: lim}, nil)
	login := func(from, pw string) error {
		c, err := wstest.DialFrom(t, url, nil, from)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.Call(t.Context(), "login", map[string]string{"agent": "a1", "password": pw}, nil)
	}
	for i := range 5 {
		_ = login("127.0.1."+strconv.Itoa(i+1), "guess")
	}
	if err := login("127.0.2.1", "pw-a1"); err != nil {
		t.Fatalf("after 5 failures from other addresses, clean address = %v, want logged in", err)
	}
	_ = login("127.0.1.20", "guess") // the 6th
	if err := login("127.0.2.2", "pw-a1"); err == nil || !strings.Contains(wstest.RPCError(err).Reason, "too many") {
		t.Fatalf("after 6 failures = %v, want refused from everywhere", err)
	}
	if s := lim.Stats(); s.Checks != 7 {
		t.Errorf("Stats = %+v, want 7 checks (6 wrong, 1 right)", s)
	}
}

// A socket that never logs in is closed at -ws-login-timeout.
func TestAgentLoginTimeout(t *testing.T) {
	url := newServerWith(t, softphone.Config{LoginTimeout: 200 * time.Millisecond}, nil)
	c := wstest.Dial(t, url, nil)
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("socket without login not closed")
	}
	if code := c.CloseCode(); code != wstest.ClosePolicyViolation {
		t.Errorf("close code %d, want 1008", code)
	}
}
