package phoneui

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"switchboard/web/webtest"
)

// TestShortcuts (issue 17 item 7): focus goes to the ringing offer; A
// answers and the focus moves to the call's card (not <body>); H holds and
// resumes, M mutes, T opens the transfer, E hangs up, R rejects, D opens
// the dialpad, ? shows the help; keys typed into a field do nothing.
func TestShortcuts(t *testing.T) {
	ctx, fake := loggedInPhone(t)
	key := func(k string) {
		t.Helper()
		webtest.Do(t, ctx, chromedp.KeyEvent(k))
	}
	wait := func(expr string) {
		t.Helper()
		webtest.WaitTrue(t, ctx, expr, 5*time.Second, `document.activeElement.outerHTML.slice(0, 300)`, `document.querySelector('#calls').outerHTML`)
	}
	card := `document.querySelector('#calls .call-card[data-call="c1"]')`
	wait(`document.querySelectorAll('#toasts .toast').length === 2 && document.activeElement.matches('#toasts .toast button.accept')`)
	// Answer the focused offer... after moving the focus to r1's.
	webtest.Eval[bool](t, ctx, `(document.querySelector('.toast[data-reservation="r1"] button.accept').focus(), true)`)
	key("a")
	wait(card + `?.dataset.state === 'active' && ` + card + `.contains(document.activeElement) && document.activeElement.matches('button')`)
	key("h")
	wait(card + `.dataset.state === 'held'`)
	key("h")
	wait(card + `.dataset.state === 'active'`)
	key("m")
	wait(card + `.dataset.muted === 'yes'`)
	key("m")
	wait(card + `.dataset.muted === 'no'`)
	key("t")
	wait(`!document.querySelector('#transfer-form').hidden && document.activeElement.id === 'transfer-to'`)
	// Typing in a field: "e" is a letter, not a hang-up.
	key("e")
	if webtest.Eval[bool](t, ctx, card+` === null`) || len(fake.find("call.hangup")) != 0 {
		t.Fatal("a key typed into the transfer field hung up")
	}
	webtest.Click(t, ctx, "#transfer-cancel")
	webtest.Eval[bool](t, ctx, `(document.querySelector('#calls .call-card[data-call="c1"] button.hold').focus(), true)`)
	key("e")
	wait(`!` + card + ` && document.activeElement !== document.body`)
	// R rejects the other offer.
	key("r")
	wait(`document.querySelectorAll('#toasts .toast').length === 0`)
	if got := fake.find("reservation.reject"); len(got) != 1 || got[0].Params["reservation"] != "r2" {
		t.Errorf("reject requests %v, want r2", got)
	}
	if webtest.Eval[bool](t, ctx, `document.activeElement === document.body`) {
		t.Error("focus dropped to <body> after Reject")
	}
	webtest.Eval[bool](t, ctx, `(document.activeElement.blur(), true)`)
	key("d")
	wait(`document.querySelector('#dialpad').checkVisibility() && document.activeElement.id === 'dial-to'`)
	webtest.Eval[bool](t, ctx, `(document.activeElement.blur(), true)`)
	key("?")
	wait(`document.querySelector('#keys-help').open`)
	screenshot(t, ctx, "shortcuts")
	key(kb.Escape)
	wait(`!document.querySelector('#keys-help').open`)
}
