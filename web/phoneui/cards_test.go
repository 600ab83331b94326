package phoneui

import (
	"context"
	"strings"
	"testing"
	"time"

	"switchboard/web/webtest"
)

// handleTransfer is the fake's warm transfer (PROTOCOL C): mode warm holds
// the caller and returns a consult call linked both ways; complete ends both
// calls (the caller goes to the target); cancel ends the consult and makes
// the caller active again.
func (f *fakeGateway) handleTransfer(c *fakeConn, method string, p map[string]any) (any, *rpcError, func(), bool) {
	if method != "call.transfer" {
		return nil, nil, nil, false
	}
	str := func(k string) string { s, _ := p[k].(string); return s }
	cl := f.calls[str("call")]
	if cl == nil {
		return nil, &rpcError{Code: -32002, Message: "not found", Data: map[string]any{"reason": "call: unknown"}}, nil, true
	}
	clone := func(m map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	switch str("mode") {
	case "warm":
		cl["state"] = "held"
		cl["consult"] = "c3"
		k := map[string]any{"id": "c3", "state": "active", "muted": false, "direction": "outbound", "kind": "direct",
			"remote": str("to"), "caller_name": "Bob Builder", "started_at": stamp(time.Now()), "answered_at": stamp(time.Now()),
			"merged_with": []any{}, "consult_for": cl["id"]}
		f.calls["c3"] = k
		held, out := clone(cl), clone(k)
		return out, nil, func() { c.Notify("call.updated", held) }, true
	case "complete", "cancel":
		orig, kid := cl, str("call")
		if id, _ := cl["consult_for"].(string); id != "" {
			orig = f.calls[id]
		} else {
			kid, _ = cl["consult"].(string)
		}
		if orig == nil || f.calls[kid] == nil {
			return nil, &rpcError{Code: -32003, Message: "conflict", Data: map[string]any{"reason": "no warm transfer"}}, nil, true
		}
		delete(f.calls, kid)
		delete(orig, "consult")
		ended := []string{kid}
		if str("mode") == "complete" {
			delete(f.calls, orig["id"].(string))
			ended = append(ended, orig["id"].(string))
		} else {
			orig["state"] = "active"
		}
		out := clone(orig)
		return out, nil, func() {
			for _, id := range ended {
				c.Notify("call.ended", map[string]any{"id": id, "reason": "transferred"})
			}
			if str("mode") == "cancel" {
				c.Notify("call.updated", out)
			}
		}, true
	}
	return nil, &rpcError{Code: -32602, Message: "invalid params", Data: map[string]any{"reason": "mode: unknown"}}, nil, true
}

// screenshot is webtest.Screenshot (SB_SCREENSHOTS=<dir>; README.md).
func screenshot(t *testing.T, ctx context.Context, name string) { webtest.Screenshot(t, ctx, name) }

// TestCallCards (issue 17 "each call as a card", item 6): a call is a card
// with the caller's name and number, the queue's name, the talk timer and
// big primary actions; the secondary actions and the dialpad stay closed
// until asked for, and each opens with one click.
func TestCallCards(t *testing.T) {
	ctx, _ := loggedInPhone(t)
	webtest.WaitTrue(t, ctx, `document.querySelectorAll('#toasts .toast').length === 2`, 5*time.Second)
	screenshot(t, ctx, "ringing")
	webtest.Click(t, ctx, `.toast[data-reservation="r1"] button.accept`)
	card := `#calls .call-card[data-call="c1"]`
	webtest.WaitTrue(t, ctx, `document.querySelector('`+card+`')?.dataset.state === 'active'`, 5*time.Second)
	text := webtest.Eval[string](t, ctx, `document.querySelector('`+card+`').innerText`)
	for _, want := range []string{"Ada Lovelace", "+15551230001", "Queue: Sales line", "Talking", "Hold", "Mute", "Hang up"} {
		if !strings.Contains(text, want) {
			t.Errorf("card text %q lacks %q", text, want)
		}
	}
	if strings.Contains(text, "Transfer") || strings.Contains(text, "Park") {
		t.Errorf("secondary actions shown before More is opened: %q", text)
	}
	if webtest.Eval[bool](t, ctx, `document.querySelector('#dialpad').checkVisibility()`) {
		t.Error("dialpad open before it was asked for")
	}
	// Primary buttons are big enough to hit (WCAG 2.5.8 asks 24 px; 44 here).
	if hgt := webtest.Eval[float64](t, ctx, `document.querySelector('`+card+` button.hangup').getBoundingClientRect().height`); hgt < 40 {
		t.Errorf("hang up button %.0f px high, want >= 40", hgt)
	}
	// One click on "More actions" shows Transfer and Park.
	webtest.Press(t, ctx, card+" .card-more summary")
	webtest.WaitTrue(t, ctx, `document.querySelector('`+card+` button.transfer').checkVisibility() && document.querySelector('`+card+` button.park').checkVisibility()`, 5*time.Second)
	// Keypad opens the dialpad with one click.
	webtest.Press(t, ctx, card+" button.keypad")
	webtest.WaitTrue(t, ctx, `document.querySelector('#dialpad').checkVisibility() && document.activeElement.matches('#dialpad button')`, 5*time.Second)

	webtest.Click(t, ctx, `.toast[data-reservation="r2"] button.accept`)
	webtest.WaitTrue(t, ctx, `document.querySelectorAll('#calls .call-card').length === 2 && document.querySelector('`+card+`').dataset.state === 'held'`, 5*time.Second)
	screenshot(t, ctx, "two-calls")
}

// TestWarmTransferControls (issue 17 item 2): after a warm transfer starts,
// both the caller's card and the consult's card offer Complete and Cancel;
// Cancel returns the caller, Complete sends call.transfer mode complete; and
// the consulted agent's offer says it is a transfer, from whom, of whom.
func TestWarmTransferControls(t *testing.T) {
	ctx, fake := loggedInPhone(t)
	webtest.Click(t, ctx, `.toast[data-reservation="r1"] button.accept`)
	card := func(id string) string { return `#calls .call-card[data-call="` + id + `"]` }
	webtest.WaitTrue(t, ctx, `document.querySelector('`+card("c1")+`')?.dataset.state === 'active'`, 5*time.Second)
	webtest.Click(t, ctx, card("c1")+" button.transfer")
	webtest.SetValue(t, ctx, "#transfer-to", "1002")
	webtest.SetValue(t, ctx, "#transfer-mode", "warm")
	webtest.Click(t, ctx, "#transfer-submit")
	both := `document.querySelector('` + card("c1") + ` button.transfer-complete')?.checkVisibility() && document.querySelector('` + card("c3") + ` button.transfer-complete')?.checkVisibility()`
	webtest.WaitTrue(t, ctx, both, 5*time.Second, `document.querySelector('#calls').outerHTML`)
	consult := webtest.Eval[string](t, ctx, `document.querySelector('`+card("c3")+`').innerText`)
	for _, want := range []string{"Consult call", "Bob Builder", "Ada Lovelace", "Complete transfer", "Cancel transfer"} {
		if !strings.Contains(consult, want) {
			t.Errorf("consult card %q lacks %q", consult, want)
		}
	}
	screenshot(t, ctx, "transfer")

	// Cancel: the consult ends, the caller is active again, controls go.
	webtest.Click(t, ctx, card("c3")+" button.transfer-abort")
	webtest.WaitTrue(t, ctx, `!document.querySelector('`+card("c3")+`') && document.querySelector('`+card("c1")+`').dataset.state === 'active' && !document.querySelector('`+card("c1")+` .card-consult').checkVisibility()`, 5*time.Second, `document.querySelector('#calls').outerHTML`)
	if got := fake.find("call.transfer"); len(got) != 2 || got[1].Params["mode"] != "cancel" || got[1].Params["call"] != "c3" {
		t.Fatalf("call.transfer requests %v, want warm then cancel on c3", got)
	}

	// Again, and Complete from the caller's card.
	webtest.Click(t, ctx, card("c1")+" button.transfer")
	webtest.SetValue(t, ctx, "#transfer-to", "1002")
	webtest.SetValue(t, ctx, "#transfer-mode", "warm")
	webtest.Click(t, ctx, "#transfer-submit")
	webtest.WaitTrue(t, ctx, both, 5*time.Second)
	webtest.Click(t, ctx, card("c1")+" button.transfer-complete")
	webtest.WaitTrue(t, ctx, `document.querySelectorAll('#calls .call-card').length === 0`, 5*time.Second, `document.querySelector('#calls').outerHTML`)
	if got := fake.find("call.transfer"); len(got) != 4 || got[3].Params["mode"] != "complete" || got[3].Params["call"] != "c1" {
		t.Fatalf("call.transfer requests %v, want the last to complete c1", got)
	}

	// The consulted agent's side: the offer of a consult.
	fake.notifyAll("reservation.created", map[string]any{"id": "r7", "call": "c8", "kind": "direct", "from": "1001", "to": "1002",
		"expires_at": stamp(time.Now().Add(30 * time.Second)),
		"attributes": map[string]any{"caller_name": "Alice", "transfer": map[string]any{"agent": "a1", "agent_name": "Alice", "caller": "+15551230001", "caller_name": "Ada Lovelace", "queue": "sales"}}})
	toast := `.toast[data-reservation="r7"]`
	webtest.WaitVisible(t, ctx, toast, 0)
	got := webtest.Eval[string](t, ctx, `document.querySelector('`+toast+`').innerText`)
	for _, want := range []string{"Warm transfer from Alice", "Ada Lovelace +15551230001", "Sales line"} {
		if !strings.Contains(got, want) {
			t.Errorf("consult offer %q lacks %q", got, want)
		}
	}
	if !webtest.Eval[bool](t, ctx, `document.activeElement.matches('`+toast+` button.accept')`) {
		t.Error("focus did not move to the ringing offer")
	}
}
