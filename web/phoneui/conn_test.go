package phoneui

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/web/phoneui/phonetest"
	"switchboard/web/webtest"
)

// setDown makes the fake refuse websockets (down) or accept them again; down
// also drops the open ones.
func (f *fakeGateway) setDown(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
	if down {
		f.dropAll()
	}
}

// acceptFirst logs in and accepts r1 (c1, Ada Lovelace, queue sales).
func acceptFirst(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	loginPhone(t, ctx, url)
	webtest.Click(t, ctx, `.toast[data-reservation="r1"] button.accept`)
	webtest.WaitTrue(t, ctx, `document.querySelector('#calls .call-card[data-call="c1"]')?.dataset.state === 'active'`, 5*time.Second)
}

// TestConnectionStates (issue 17 item 3): a drop says "reconnecting" with
// the grace countdown and that the calls are on hold; calls that come back
// held say why; calls the gateway no longer has are "call lost" with the
// reason; an activity changed while away is said, with a way back.
func TestConnectionStates(t *testing.T) {
	banner := `document.querySelector('#conn-banner')`
	describe := []string{banner + `.outerHTML`, `document.querySelector('#lost-calls').outerHTML`, `document.querySelector('#calls').outerHTML`}
	card := `#calls .call-card[data-call="c1"]`

	t.Run("held while reconnecting", func(t *testing.T) {
		ctx, srv, fake := startPhone(t, "")
		acceptFirst(t, ctx, srv.URL+"/")
		fake.setDown(true)
		webtest.WaitTrue(t, ctx, banner+`.dataset.kind === 'reconnecting' && /on hold while we reconnect; the gateway keeps it for (2\d|30) s more/.test(`+banner+`.innerText)`, 5*time.Second, describe...)
		webtest.WaitTrue(t, ctx, `document.querySelector('`+card+`').dataset.conn === 'down' && document.querySelector('`+card+` .call-state').innerText === 'On hold: reconnecting' && document.querySelector('`+card+` button.hangup').disabled`, 5*time.Second, describe...)
		if txt := webtest.Eval[string](t, ctx, `document.querySelector('#conn-state').innerText`); !strings.Contains(txt, "reconnecting") {
			t.Errorf("connection pill %q while down", txt)
		}
		screenshot(t, ctx, "reconnecting")
		// The gateway held the call (PROTOCOL C: a dropped socket holds the calls).
		fake.mu.Lock()
		fake.calls["c1"]["state"] = "held"
		fake.mu.Unlock()
		fake.setDown(false)
		webtest.WaitTrue(t, ctx, banner+`.dataset.kind === 'info' && `+banner+`.innerText.includes('press Resume to talk again') && document.querySelector('`+card+`').dataset.state === 'held' && document.querySelector('`+card+`').dataset.conn === 'up'`, 10*time.Second, describe...)
		if n := webtest.Eval[int](t, ctx, `document.querySelectorAll('#lost-calls li').length`); n != 0 {
			t.Errorf("%d lost-call lines after the call came back", n)
		}
		webtest.Click(t, ctx, card+" button.resume")
		webtest.WaitTrue(t, ctx, banner+`.hidden`, 5*time.Second, describe...)
	})

	t.Run("restart loses the call and the activity", func(t *testing.T) {
		ctx, srv, fake := startPhone(t, "")
		acceptFirst(t, ctx, srv.URL+"/")
		fake.setDown(true)
		webtest.WaitTrue(t, ctx, banner+`.dataset.kind === 'reconnecting'`, 5*time.Second, describe...)
		fake.mu.Lock()
		clear(fake.calls)
		fake.agent["activity"] = "offline"
		fake.mu.Unlock()
		fake.setDown(false)
		lost := `document.querySelector('#lost-calls').innerText`
		webtest.WaitTrue(t, ctx, lost+`.includes('Call lost: Ada Lovelace (+15551230001), Queue: Sales line.') && `+lost+`.includes('no longer had this call') && `+lost+`.includes('Your activity is now offline, not available')`, 10*time.Second, describe...)
		webtest.WaitTrue(t, ctx, `!document.querySelector('`+card+`') && `+banner+`.hidden`, 5*time.Second, describe...)
		screenshot(t, ctx, "call-lost")
		webtest.Click(t, ctx, "button.restore-activity")
		phonetest.PassAudioSetup(t, ctx) // going available asks for the audio check first
		webtest.WaitTrue(t, ctx, `sb.state.agent.activity === 'available'`, 5*time.Second, `JSON.stringify(sb.state.agent)`)
		if got := fake.activity(); got != "available" {
			t.Errorf("gateway's activity %q, want available", got)
		}
	})

	t.Run("grace over", func(t *testing.T) {
		ctx, srv, fake := startPhone(t, "")
		fake.grace = 1
		acceptFirst(t, ctx, srv.URL+"/")
		fake.setDown(true)
		webtest.WaitTrue(t, ctx, banner+`.innerText.includes('kept your call on hold for 1 s and has let it go')`, 5*time.Second, describe...)
		fake.mu.Lock()
		clear(fake.calls)
		fake.mu.Unlock()
		fake.setDown(false)
		webtest.WaitTrue(t, ctx, `/longer than the gateway's 1 s grace: the caller went back to the queue/.test(document.querySelector('#lost-calls').innerText)`, 10*time.Second, describe...)
	})
}

// TestOriginRefused (issue 17 item 5): when the gateway refuses the page's
// origin the page stops retrying and says what to change, instead of
// "reconnecting…" forever.
func TestOriginRefused(t *testing.T) {
	ctx := webtest.Browser(t)
	var upgrades atomic.Int32
	mux := http.NewServeMux()
	// As signaling/ws: the upgrade gets 403, the POST probe says why.
	mux.HandleFunc("/ws/agent", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			upgrades.Add(1)
			http.Error(w, "origin not allowed", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		json.NewEncoder(w).Encode(map[string]string{"reason": "origin not allowed", "origin": r.Header.Get("Origin")})
	})
	mux.Handle("/", Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	loginFails := func() {
		webtest.Do(t, ctx, chromedp.Navigate(srv.URL+"/"))
		webtest.SetValue(t, ctx, "#login-agent", "a1")
		webtest.SetValue(t, ctx, "#login-password", "pw")
		webtest.Click(t, ctx, "#login-submit")
	}
	loginFails()
	webtest.WaitVisible(t, ctx, "#refused", 0)
	text := webtest.Eval[string](t, ctx, `document.querySelector('#refused').innerText`)
	for _, want := range []string{"cannot connect", srv.URL, "-allowed-origins", "Host header"} {
		if !strings.Contains(text, want) {
			t.Errorf("refused page %q lacks %q", text, want)
		}
	}
	webtest.WaitTrue(t, ctx, `sb.state.connection === 'refused' && !sb.client.wanted && !sb.client.ws && document.querySelector('#conn-state').innerText.includes('refused')`, 5*time.Second, `sb.state.connection`)
	if webtest.Eval[bool](t, ctx, `document.querySelector('main').checkVisibility()`) {
		t.Error("the login form still shows under the refusal")
	}
	// No retry follows: a new socket would need wanted, and the count of
	// upgrade attempts is what it was at the refusal (one attempt, maybe a
	// second that raced the probe's answer).
	if n := upgrades.Load(); n < 1 || n > 2 {
		t.Errorf("%d upgrade attempts, want 1 or 2", n)
	}
	screenshot(t, ctx, "origin-refused")
}
