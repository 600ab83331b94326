package phoneui

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/web/webtest"
)

// TestAxe (issue 17 "Prove it"): axe-core finds no serious or critical
// WCAG 2.2 A/AA violation on the softphone in the login, idle, ringing,
// two-calls and transfer states.
func TestAxe(t *testing.T) {
	ctx, srv, _ := startPhone(t, "")
	webtest.Do(t, ctx, chromedp.Navigate(srv.URL+"/"))
	webtest.WaitVisible(t, ctx, "#login-agent", 0)
	webtest.AxeClean(t, ctx, "login")
	// The check can fail: a button without a name is a critical violation.
	webtest.Eval[bool](t, ctx, `(document.body.append(Object.assign(document.createElement('button'), {id: 'axe-probe'})), true)`)
	if v := webtest.Axe(t, ctx); len(v) == 0 || v[0].ID != "button-name" {
		t.Fatalf("axe on a nameless button: %v, want button-name", v)
	}
	webtest.Eval[bool](t, ctx, `(document.querySelector('#axe-probe').remove(), true)`)
	loginPhone(t, ctx, srv.URL+"/")
	webtest.WaitTrue(t, ctx, `document.querySelectorAll('#toasts .toast').length === 2`, 5*time.Second)
	webtest.AxeClean(t, ctx, "ringing")
	webtest.Click(t, ctx, `.toast[data-reservation="r1"] button.accept`)
	webtest.Click(t, ctx, `.toast[data-reservation="r2"] button.accept`)
	webtest.WaitTrue(t, ctx, `document.querySelectorAll('#calls .call-card').length === 2 && document.querySelectorAll('#toasts .toast').length === 0`, 5*time.Second)
	webtest.AxeClean(t, ctx, "two calls")
	webtest.Click(t, ctx, `#calls .call-card[data-call="c2"] button.transfer`)
	webtest.SetValue(t, ctx, "#transfer-to", "1003")
	webtest.SetValue(t, ctx, "#transfer-mode", "warm")
	webtest.Click(t, ctx, "#transfer-submit")
	webtest.WaitVisible(t, ctx, `#calls .call-card[data-call="c3"] button.transfer-complete`, 0)
	webtest.AxeClean(t, ctx, "transfer")
	webtest.Click(t, ctx, `#calls .call-card[data-call="c3"] button.transfer-abort`)
	webtest.WaitTrue(t, ctx, `!document.querySelector('#calls .call-card[data-call="c3"]')`, 5*time.Second)
	webtest.Click(t, ctx, `#calls .call-card[data-call="c2"] button.hangup`)
	webtest.WaitTrue(t, ctx, `!document.querySelector('#calls .call-card[data-call="c2"]')`, 5*time.Second)
	webtest.Click(t, ctx, `#calls .call-card[data-call="c1"] button.hangup`)
	webtest.WaitTrue(t, ctx, `document.querySelectorAll('#calls .call-card').length === 0`, 5*time.Second)
	webtest.AxeClean(t, ctx, "idle")
}
