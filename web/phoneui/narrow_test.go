package phoneui

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/web/webtest"
)

// TestNarrow (issue 17 item 9): at 360 px the softphone lays out within
// 360 px (no sideways scroll) with two calls and an offer, and the primary
// buttons stay at least 44 px high.
func TestNarrow(t *testing.T) {
	ctx, srv, _ := startPhone(t, "")
	webtest.Do(t, ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile))
	loginPhone(t, ctx, srv.URL+"/")
	webtest.WaitTrue(t, ctx, `document.querySelectorAll('#toasts .toast').length === 2`, 5*time.Second)
	webtest.Click(t, ctx, `.toast[data-reservation="r1"] button.accept`)
	webtest.WaitTrue(t, ctx, `document.querySelectorAll('#calls .call-card').length === 1`, 5*time.Second)
	webtest.Press(t, ctx, `#calls .call-card .card-more summary`)
	webtest.Eval[bool](t, ctx, `(document.querySelector('#dialpad-panel').open = true, true)`)
	webtest.WaitTrue(t, ctx, `document.querySelector('#dialpad').checkVisibility()`, 5*time.Second)
	width := webtest.Eval[float64](t, ctx, `document.documentElement.scrollWidth`)
	wide := webtest.Eval[[]string](t, ctx, `[...document.querySelectorAll('body *')].filter((e) => e.checkVisibility() && e.getBoundingClientRect().right > 361).slice(0, 8).map((e) => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))`)
	if width > 360 || len(wide) > 0 {
		t.Errorf("page %v px wide at 360 px; wider elements: %v", width, wide)
	}
	if hgt := webtest.Eval[float64](t, ctx, `document.querySelector('#calls .call-card button.hangup').getBoundingClientRect().height`); hgt < 44 {
		t.Errorf("hang up button %.0f px high at 360 px", hgt)
	}
	screenshot(t, ctx, "narrow-360")
}

// TestStatusKeepsOffersStill: a status message (an error, a call that
// ended) never moves a ringing offer, at 360 px and on a desktop width, so
// a click aimed at Accept cannot land beside it. The offers stand above the
// status lines; five messages, the most the status area keeps, are shown.
func TestStatusKeepsOffersStill(t *testing.T) {
	for _, width := range []int64{360, 1280} {
		ctx, srv, _ := startPhone(t, "")
		webtest.Do(t, ctx, chromedp.EmulateViewport(width, 740))
		loginPhone(t, ctx, srv.URL+"/")
		webtest.WaitTrue(t, ctx, `document.querySelectorAll('#toasts .toast').length === 2`, 5*time.Second)
		const top = `[...document.querySelectorAll('#toasts .toast button.accept')].map((b) => Math.round(b.getBoundingClientRect().top))`
		before := webtest.Eval[[]float64](t, ctx, top)
		webtest.Eval[bool](t, ctx, `(() => { for (let i = 0; i < 5; i++) sb.util.showStatus('call ended (test ' + i + ')', i % 2 ? 'error' : 'info'); return true })()`)
		if n := webtest.Eval[float64](t, ctx, `document.querySelectorAll('#status .status-msg').length`); n < 5 {
			t.Fatalf("%d px: %v status lines shown, want at least 5", width, n)
		}
		after := webtest.Eval[[]float64](t, ctx, top)
		if len(after) != len(before) || len(before) == 0 {
			t.Fatalf("%d px: accept buttons %v before, %v after", width, before, after)
		}
		for i := range before {
			if after[i] != before[i] {
				t.Errorf("%d px: offer %d's Accept moved from y=%v to y=%v after status messages", width, i, before[i], after[i])
			}
		}
		if width == 360 {
			screenshot(t, ctx, "offers-above-status-360")
		}
	}
}
