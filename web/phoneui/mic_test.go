package phoneui

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"switchboard/web/phoneui/phonetest"
	"switchboard/web/webtest"
)

// startPhone serves the softphone and a fake gateway on 127.0.0.1, with a
// browser tab made with the extra Chromium flags; script, if not empty,
// runs in the page before its own (to stand in for a browser without a
// microphone).
func startPhone(t *testing.T, script string, flags ...string) (context.Context, *httptest.Server, *fakeGateway) {
	t.Helper()
	ctx := webtest.BrowserWith(t, flags...)
	fake := newFakeGateway(t)
	srv := servePhone(t, fake, nil)
	if script != "" {
		webtest.Do(t, ctx, func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script})
			return chromedp.Void{}, err
		})
	}
	return ctx, srv, fake
}

// servePhone serves the softphone and fake (on mux, when not nil, beside
// the test's own handlers) on 127.0.0.1 until the end of the test.
func servePhone(t *testing.T, fake *fakeGateway, mux *http.ServeMux) *httptest.Server {
	if mux == nil {
		mux = http.NewServeMux()
	}
	mux.Handle("/ws/agent", fake)
	mux.Handle("/", Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		fake.close()
	})
	return srv
}

// loginPhone opens the page at url and logs in as a1.
func loginPhone(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	webtest.Do(t, ctx, chromedp.Navigate(url))
	phonetest.Login(t, ctx, "a1", "pw")
	// The audio negotiation settles before a test goes on (against the fake
	// without media it ends in an "audio: webrtc unavailable" status line),
	// so each test starts from a page that has stopped changing. The status
	// lines no longer move the offers (TestStatusKeepsOffersStill).
	webtest.WaitTrue(t, ctx, `window.sb.state.rtc === 'error' || window.sb.state.rtcNegotiated === true`, 10*time.Second,
		`window.sb.state.rtc`, `document.querySelector('#status').innerText`)
}

// loggedInPhone is startPhone without a script, logged in (loginPhone) at
// the page's root.
func loggedInPhone(t *testing.T) (context.Context, *fakeGateway) {
	t.Helper()
	ctx, srv, fake := startPhone(t, "")
	loginPhone(t, ctx, srv.URL+"/")
	return ctx, fake
}

// TestMicrophoneGate (issue 17 item 1, issue 12): without a working
// microphone (insecure origin, permission denied, no device) the agent is
// set unavailable, cannot choose available, and the banner says why and
// what to do; a lost microphone does the same mid-session.
func TestMicrophoneGate(t *testing.T) {
	denied := `navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));`
	absent := `navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Requested device not found', 'NotFoundError'));`
	cases := []struct {
		name, script, problem string
		insecure              bool
		want                  []string
	}{
		{name: "insecure origin", insecure: true, problem: "insecure", want: []string{"secure page", "HTTPS", "https://agents.example.test:"}},
		{name: "denied", script: denied, problem: "denied", want: []string{"blocked the microphone", "Allow"}},
		{name: "no device", script: absent, problem: "absent", want: []string{"No microphone was found", "Plug one in"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var flags []string
			if tc.insecure {
				flags = append(flags, "host-resolver-rules=MAP agents.example.test 127.0.0.1")
			}
			ctx, srv, fake := startPhone(t, tc.script, flags...)
			url := srv.URL + "/"
			if tc.insecure {
				_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
				url = "http://agents.example.test:" + port + "/"
			}
			loginPhone(t, ctx, url)
			if tc.insecure && webtest.Eval[bool](t, ctx, `window.isSecureContext`) {
				t.Fatal("the mapped name is a secure context: the test does not test an insecure page")
			}
			describe := []string{`document.querySelector('#mic-banner').outerHTML`, `JSON.stringify(sb.state.agent)`}
			webtest.WaitTrue(t, ctx, `document.querySelector('#mic-banner').checkVisibility() && document.body.dataset.mic === '`+tc.problem+`'`, 5*time.Second, describe...)
			msg := webtest.Eval[string](t, ctx, `document.querySelector('#mic-message').innerText`)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("banner %q lacks %q", msg, w)
				}
			}
			// The fake logs the agent in available: the page sets it unavailable.
			webtest.WaitTrue(t, ctx, `sb.state.agent.activity === 'unavailable' && document.querySelector('#activity').value === 'unavailable'`, 5*time.Second, describe...)
			if got := fake.activity(); got != "unavailable" {
				t.Errorf("gateway's activity %q, want unavailable", got)
			}
			if !webtest.Eval[bool](t, ctx, `document.querySelector('#activity option[value=available]').disabled`) {
				t.Error("available can still be chosen")
			}
			// Forcing the select anyway is refused with the message, and never sent.
			webtest.Eval[bool](t, ctx, `(() => { const s = document.querySelector('#activity'); s.value = 'available'; s.dispatchEvent(new Event('change')); return true; })()`)
			webtest.WaitTrue(t, ctx, `document.querySelector('#status').innerText.includes('cannot go available')`, 5*time.Second, describe...)
			for _, r := range fake.find("activity.set") {
				if r.Params["activity"] == "available" {
					t.Fatalf("page sent activity.set available without a microphone")
				}
			}
			if got := fake.activity(); got != "unavailable" {
				t.Errorf("gateway's activity %q after forcing the select, want unavailable", got)
			}
			// Calls are refused too: the offers (a direct call rings an
			// unavailable agent) cannot be accepted, and say why.
			webtest.WaitTrue(t, ctx, `document.querySelectorAll('#toasts .toast').length === 2 && [...document.querySelectorAll('#toasts .toast')].every((el) => el.querySelector('button.accept').disabled && el.querySelector('.toast-nomic').checkVisibility())`, 5*time.Second, `document.querySelector('#toasts').outerHTML`)
			webtest.Eval[bool](t, ctx, `(document.querySelector('.toast[data-reservation="r2"] button.accept').click(), true)`)
			if n := len(fake.find("reservation.accept")); n != 0 {
				t.Errorf("%d reservation.accept sent without a microphone", n)
			}
		})
	}

	t.Run("lost", func(t *testing.T) {
		ctx, fake := loggedInPhone(t)
		webtest.WaitTrue(t, ctx, `sb.state.mic === 'ok'`, 5*time.Second, `sb.state.mic`)
		if webtest.Eval[bool](t, ctx, `document.querySelector('#mic-banner').checkVisibility()`) {
			t.Fatal("banner shown with a working microphone")
		}
		if fake.activity() != "available" {
			t.Fatalf("activity %q with a working microphone, want available kept", fake.activity())
		}
		// The device goes away: its track ends.
		webtest.Eval[bool](t, ctx, `(() => { const tr = sb.mic.stream.getAudioTracks()[0]; tr.stop(); tr.dispatchEvent(new Event('ended')); return true; })()`)
		webtest.WaitTrue(t, ctx, `document.body.dataset.mic === 'lost' && sb.state.agent.activity === 'unavailable'`, 5*time.Second, `document.querySelector('#mic-banner').outerHTML`)
		if msg := webtest.Eval[string](t, ctx, `document.querySelector('#mic-message').innerText`); !strings.Contains(msg, "microphone stopped") {
			t.Errorf("banner %q", msg)
		}
		if got := fake.activity(); got != "unavailable" {
			t.Errorf("gateway's activity %q after the microphone was lost", got)
		}
		// The first negotiation fails (the fake has no media) and its status
		// line moves the page: let it settle, so the click lands on the button.
		webtest.WaitTrue(t, ctx, `sb.state.rtc === 'error'`, 10*time.Second, `sb.state.rtc`)
		// Check microphone: a new track, available allowed again.
		webtest.Click(t, ctx, "#mic-retry")
		webtest.WaitTrue(t, ctx, `sb.state.mic === 'ok' && !document.querySelector('#activity option[value=available]').disabled && !document.querySelector('#mic-banner').checkVisibility()`, 5*time.Second, `sb.state.mic`, `sb.state.rtc`, `document.querySelector('#status').innerText`, `String(sb.state.rtcNegotiated)`)
	})
}

// TestICEServers (issue 12): the login result's ice_servers configure the
// page's RTCPeerConnection.
func TestICEServers(t *testing.T) {
	ctx, srv, fake := startPhone(t, "")
	fake.mu.Lock()
	fake.iceServers = []any{map[string]any{"urls": []any{"turn:127.0.0.1:3478?transport=udp"}, "username": "1700000000:a1", "credential": "c2VjcmV0"}}
	fake.mu.Unlock()
	loginPhone(t, ctx, srv.URL+"/")
	webtest.WaitTrue(t, ctx, `!!sb.pc`, 5*time.Second)
	got := webtest.Eval[string](t, ctx, `JSON.stringify(sb.pc.getConfiguration().iceServers.map((s) => [s.urls, s.username, s.credential]))`)
	if want := `[[["turn:127.0.0.1:3478?transport=udp"],"1700000000:a1","c2VjcmV0"]]`; got != want {
		t.Errorf("RTCPeerConnection iceServers %s, want %s", got, want)
	}
}
