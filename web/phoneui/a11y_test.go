package phoneui

import (
	"fmt"
	"maps"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/web/phoneui/phonetest"
	"switchboard/web/webtest"
)

// contrastJS returns the WCAG contrast ratio of the text of the element of
// selector %q against the first opaque background at or above it.
const contrastJS = `((sel) => {
  const e = document.querySelector(sel); if (!e) return -1;
  const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => { const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  let bg = [255, 255, 255];
  for (let n = e; n; n = n.parentElement) { const c = rgb(getComputedStyle(n).backgroundColor); if (c.length === 3 || (c.length === 4 && c[3] === 1)) { bg = c.slice(0, 3); break; } }
  const fg = rgb(getComputedStyle(e).color).slice(0, 3);
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
})(%s)`

// TestSoftphoneTextAndNames (issue 17 items 6 and 8): a refused login's
// error goes once a login succeeds; the offer countdown and hint text meet
// 4.5:1; the dial box and merge checkbox have names; no empty header.
func TestSoftphoneTextAndNames(t *testing.T) {
	ctx, srv, _ := startPhone(t, "")
	webtest.Do(t, ctx, chromedp.Navigate(srv.URL+"/"))
	webtest.SetValue(t, ctx, "#login-agent", "a1")
	webtest.SetValue(t, ctx, "#login-password", "wrong")
	webtest.Click(t, ctx, "#login-submit")
	webtest.WaitTrue(t, ctx, `document.querySelector('#status').innerText.includes('bad agent or password')`, 5*time.Second)
	webtest.WaitTrue(t, ctx, `!document.querySelector('#login-submit').disabled`, 5*time.Second)
	webtest.SetValue(t, ctx, "#login-password", "pw")
	webtest.Click(t, ctx, "#login-submit")
	webtest.WaitVisible(t, ctx, "#phone-view", 0)
	webtest.WaitTrue(t, ctx, `!document.querySelector('#status').innerText.includes('bad agent or password')`, 5*time.Second, `document.querySelector('#status').innerText`)

	webtest.WaitTrue(t, ctx, `document.querySelectorAll('#toasts .toast').length === 2`, 5*time.Second)
	for _, sel := range []string{".toast .toast-countdown", "#dialpad-hint", "#no-calls"} {
		ratio := webtest.Eval[float64](t, ctx, fmt.Sprintf(contrastJS, strconv.Quote(sel)))
		if ratio < 4.5 {
			t.Errorf("%s contrast %.2f:1, want >= 4.5:1", sel, ratio)
		}
	}
	if name := webtest.Eval[string](t, ctx, `document.querySelector('#dial-to').getAttribute('aria-label') || document.querySelector('#dial-to').labels[0]?.innerText || ''`); name == "" {
		t.Error("#dial-to has no name but its placeholder")
	}
	webtest.Click(t, ctx, `.toast[data-reservation="r1"] button.accept`)
	webtest.WaitVisible(t, ctx, `#calls .call-card[data-call="c1"] input.merge-select`, 0)
	if empty := webtest.Eval[int](t, ctx, `[...document.querySelectorAll('#calls button')].filter((b) => !b.textContent.trim()).length`); empty != 0 {
		t.Errorf("%d call buttons without a name", empty)
	}
	if name := webtest.Eval[string](t, ctx, `document.querySelector('#calls .call-card[data-call="c1"] input.merge-select').getAttribute('aria-label') || ''`); name == "" {
		t.Error("merge checkbox named only by title")
	}
}

// TestCallTimers (issue 17 item 6): the talk timer runs from the answer,
// not from the call's arrival, and a held call shows a hold timer.
func TestCallTimers(t *testing.T) {
	ctx, srv, fake := startPhone(t, "")
	fake.mu.Lock()
	fake.waited = 90 * time.Second // waited 1:30 in the queue before the answer
	fake.mu.Unlock()
	loginPhone(t, ctx, srv.URL+"/")
	webtest.Click(t, ctx, `.toast[data-reservation="r1"] button.accept`)
	row := `#calls .call-card[data-call="c1"]`
	webtest.WaitVisible(t, ctx, row, 0)
	timer := `document.querySelector('` + row + ` .call-timer').innerText`
	webtest.WaitTrue(t, ctx, `/^00:[0-5]\d$/.test(`+timer+`)`, 5*time.Second, timer)
	webtest.Click(t, ctx, row+" button.hold")
	webtest.WaitTrue(t, ctx, `document.querySelector('`+row+`').dataset.state === 'held'`, 5*time.Second)
	hold := `document.querySelector('` + row + ` .call-hold-timer')`
	webtest.WaitTrue(t, ctx, hold+`.checkVisibility() && /^on hold 00:[0-5]\d$/.test(`+hold+`.innerText)`, 5*time.Second, hold+`.outerHTML`)
	webtest.Click(t, ctx, row+" button.resume")
	webtest.WaitTrue(t, ctx, `document.querySelector('`+row+`').dataset.state === 'active' && !`+hold+`.checkVisibility()`, 5*time.Second, hold+`.outerHTML`)
}

// TestMissedOfferPrompt (issue 17 item 4): an offer that times out and
// leaves the agent unavailable shows a prompt whose button makes the agent
// available again.
func TestMissedOfferPrompt(t *testing.T) {
	ctx, fake := loggedInPhone(t)
	webtest.WaitTrue(t, ctx, `sb.state.mic === 'ok' && document.querySelectorAll('#toasts .toast').length === 2`, 5*time.Second)
	fake.mu.Lock()
	fake.agent["activity"] = "unavailable"
	agent := maps.Clone(fake.agent)
	fake.mu.Unlock()
	fake.notifyAll("reservation.ended", map[string]any{"id": "r1", "reason": "timeout"})
	fake.notifyAll("agent.updated", agent)
	webtest.WaitVisible(t, ctx, "#missed-bar", 0)
	webtest.Click(t, ctx, "#missed-available")
	phonetest.PassAudioSetup(t, ctx) // going available asks for the audio check first
	webtest.WaitTrue(t, ctx, `sb.state.agent.activity === 'available' && !document.querySelector('#missed-bar').checkVisibility()`, 5*time.Second, `JSON.stringify(sb.state.agent)`)
	if got := fake.activity(); got != "available" {
		t.Errorf("gateway's activity %q, want available", got)
	}
}
