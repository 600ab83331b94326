package phoneui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/web/webtest"
)

// parkedList is the fake's parked calls by slot (under f.mu).
func (f *fakeGateway) parkedList() []any {
	out := []any{}
	slots := make([]string, 0, len(f.parked))
	for s := range f.parked {
		slots = append(slots, s)
	}
	slices.Sort(slots)
	for _, s := range slots {
		p := f.parked[s]
		out = append(out, map[string]any{"slot": s, "call": p["id"], "by": "a1", "since": stamp(time.Now()), "from": p["remote"]})
	}
	return out
}

// broadcastParked sends park.updated to every page (under f.mu).
func (f *fakeGateway) broadcastParked() {
	list := f.parkedList()
	f.srv.NotifyAll("park.updated", map[string]any{"parked": list})
}

// handlePark answers call.park (the call leaves the agent into slot 700)
// and call.pickup (the slot's call comes back active), under f.mu.
func (f *fakeGateway) handlePark(c *fakeConn, method string, p map[string]any) (any, *rpcError, func(), bool) {
	str := func(k string) string { s, _ := p[k].(string); return s }
	if f.parked == nil {
		f.parked = map[string]map[string]any{}
	}
	switch method {
	case "call.park":
		cl := f.calls[str("call")]
		if cl == nil {
			return nil, &rpcError{Code: -32002, Message: "not found", Data: map[string]any{"reason": "call: unknown"}}, nil, true
		}
		delete(f.calls, str("call"))
		f.parked["700"] = cl
		return map[string]any{"call": cl["id"], "slot": "700"}, nil, func() {
			c.Notify("call.ended", map[string]any{"id": cl["id"], "reason": "parked"})
			f.mu.Lock()
			defer f.mu.Unlock()
			f.broadcastParked()
		}, true
	case "call.pickup":
		cl := f.parked[str("slot")]
		if cl == nil {
			return nil, &rpcError{Code: -32002, Message: "not found", Data: map[string]any{"reason": "park slot: empty"}}, nil, true
		}
		delete(f.parked, str("slot"))
		for _, o := range f.calls {
			if o["state"] == "active" {
				o["state"] = "held"
			}
		}
		nc := map[string]any{}
		for k, v := range cl {
			nc[k] = v
		}
		nc["state"] = "active"
		f.calls[nc["id"].(string)] = nc
		return nc, nil, func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.broadcastParked()
		}, true
	}
	return nil, nil, nil, false
}

// TestParkedPanel: the Park button of a call card parks it (the row goes;
// the parked panel shows the slot from park.updated, the only source of the
// list), and one click on Pick up brings the call back active.
func TestParkedPanel(t *testing.T) {
	ctx, srv, fake := startPhone(t, "")
	describe := []string{`document.querySelector('#side-panels').outerHTML`, `document.querySelector('#status').innerText`}
	wait := func(expr string) {
		t.Helper()
		webtest.WaitTrue(t, ctx, expr, 5*time.Second, describe...)
	}
	loginPhone(t, ctx, srv.URL+"/")
	wait(`document.querySelectorAll('#toasts .toast').length === 2`)
	wait(`document.querySelector('#panel-parked .parked-empty') && !document.querySelector('#panel-parked .parked-empty').hidden`)
	// The fake has no media: the page's "audio: webrtc unavailable" line
	// comes some time after login, above the offers, and moves them down a
	// line; a click aimed before it lands above Accept (under load, 2 runs
	// in 30 sent no reservation.accept). Aim once it is there.
	wait(`document.querySelector('#status').innerText.includes('audio:')`)

	webtest.Click(t, ctx, `.toast[data-reservation="r1"] button.accept`)
	wait(`document.querySelector('#calls .call-card[data-call="c1"]')?.dataset.state === 'active'`)
	webtest.Click(t, ctx, `#calls .call-card[data-call="c1"] button.park`)
	wait(`!document.querySelector('#calls .call-card[data-call="c1"]')`)
	wait(`document.querySelector('#panel-parked li.parked[data-slot="700"]')?.dataset.call === 'c1'`)
	wait(`document.querySelector('#panel-parked').open && document.querySelector('#panel-parked .parked-empty').hidden`)
	txt := webtest.Eval[string](t, ctx, `document.querySelector('#panel-parked li.parked').innerText`)
	for _, want := range []string{"700", "+15551230001", "a1", "Pick up"} {
		if !strings.Contains(txt, want) {
			t.Errorf("parked row %q lacks %q", txt, want)
		}
	}
	if len(fake.find("call.park")) != 1 {
		t.Errorf("call.park sent %d times", len(fake.find("call.park")))
	}

	// One click: the call is back, active, and the slot is gone.
	webtest.Click(t, ctx, `#panel-parked li.parked[data-slot="700"] button.pickup`)
	wait(`document.querySelector('#calls .call-card[data-call="c1"]')?.dataset.state === 'active'`)
	wait(`document.querySelectorAll('#panel-parked li.parked').length === 0 && !document.querySelector('#panel-parked .parked-empty').hidden`)
	if got := fake.find("call.pickup"); len(got) != 1 || got[0].Params["slot"] != "700" {
		t.Errorf("call.pickup requests = %+v", got)
	}
}
