package phoneui

import (
	"context"
	"maps"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/web/webtest"
)

// fakeTasks is the fake gateway's tasks of any channel (PROTOCOL §10 on the
// agent socket), guarded by fakeGateway.mu: an offer is reservation.created
// with kind "task" and the Task; reservation.accept answers the Task
// (assigned) and sends reservation.ended and task.updated; task.complete
// completes it, or for a task of a queue with wrap-up makes it "wrapping"
// and the agent wrapping until wrapup.done, which completes it.
type fakeTasks struct {
	byID  map[string]map[string]any // id -> Task
	res   map[string]string         // live reservation -> task id
	wrap  map[string]bool           // task ids whose queue has wrap-up
	order []string                  // ids by creation
}

// held is the login result's tasks: the assigned and wrapping ones.
func (ft *fakeTasks) held() []any {
	out := []any{}
	for _, id := range ft.order {
		if t := ft.byID[id]; t["state"] == "assigned" || t["state"] == "wrapping" {
			out = append(out, maps.Clone(t))
		}
	}
	return out
}

// offerTask creates a task (created age ago) and offers it to the page as
// reservation res.
func (f *fakeGateway) offerTask(res, id, channel, queue string, attrs map[string]any, block, wrapup bool, age time.Duration) {
	f.mu.Lock()
	ft := &f.tasks
	if ft.byID == nil {
		ft.byID, ft.res, ft.wrap = map[string]map[string]any{}, map[string]string{}, map[string]bool{}
	}
	t := ft.byID[id]
	if t == nil {
		a := maps.Clone(attrs)
		a["channel"] = channel
		t = map[string]any{"id": id, "channel": channel, "attributes": a, "queue": queue, "block_agent": block,
			"created_at": stamp(time.Now().Add(-age))}
		ft.byID[id] = t
		ft.order = append(ft.order, id)
	}
	t["state"], t["agent"] = "reserved", "a1"
	ft.res[res] = id
	ft.wrap[id] = wrapup
	r := map[string]any{"id": res, "call": "", "kind": "task", "from": "", "to": "", "queue": queue,
		"expires_at": stamp(time.Now().Add(60 * time.Second)), "attributes": maps.Clone(t["attributes"].(map[string]any)), "task": maps.Clone(t)}
	f.mu.Unlock()
	f.notifyAll("reservation.created", r)
}

func (f *fakeGateway) taskState(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, _ := f.tasks.byID[id]["state"].(string)
	return s
}

// handleTasks answers the agent socket's task requests (f.mu held); ok is
// false for anything else (a call's reservation included).
func (f *fakeGateway) handleTasks(c *fakeConn, method string, p map[string]any) (any, *rpcError, func(), bool) {
	ft := &f.tasks
	str := func(k string) string { s, _ := p[k].(string); return s }
	notFound := func(what string) *rpcError {
		return &rpcError{Code: -32002, Message: "not found", Data: map[string]any{"reason": what + ": not found"}}
	}
	switch method {
	case "reservation.accept", "reservation.reject":
		id, ok := ft.res[str("reservation")]
		if !ok {
			return nil, nil, nil, false
		}
		res := str("reservation")
		delete(ft.res, res)
		t := ft.byID[id]
		if method == "reservation.reject" {
			t["state"] = "pending"
			delete(t, "agent")
			return map[string]any{}, nil, func() {
				c.Notify("reservation.ended", map[string]any{"id": res, "reason": "rejected"})
			}, true
		}
		t["state"], t["assigned_at"] = "assigned", stamp(time.Now())
		out := maps.Clone(t)
		return out, nil, func() {
			c.Notify("reservation.ended", map[string]any{"id": res, "reason": "accepted"})
			c.Notify("task.updated", out)
		}, true
	case "task.complete":
		t := ft.byID[str("task")]
		if t == nil {
			return nil, notFound("task " + str("task")), nil, true
		}
		if t["state"] != "assigned" {
			return nil, &rpcError{Code: -32003, Message: "conflict", Data: map[string]any{"reason": "task " + str("task") + " is " + t["state"].(string)}}, nil, true
		}
		t["completed_at"] = stamp(time.Now())
		t["state"] = "completed"
		var agent map[string]any
		if ft.wrap[str("task")] {
			t["state"] = "wrapping"
			f.agent["wrapup"], f.agent["wrapup_until"] = true, stamp(time.Now().Add(30*time.Second))
			agent = maps.Clone(f.agent)
		}
		out := maps.Clone(t)
		return out, nil, func() {
			c.Notify("task.updated", out)
			if agent != nil {
				c.Notify("agent.updated", agent)
			}
		}, true
	case "wrapup.done":
		f.agent["wrapup"] = false
		delete(f.agent, "wrapup_until")
		var done []map[string]any
		for _, id := range ft.order {
			if t := ft.byID[id]; t["state"] == "wrapping" {
				t["state"] = "completed"
				done = append(done, maps.Clone(t))
			}
		}
		return maps.Clone(f.agent), nil, func() {
			for _, t := range done {
				c.Notify("task.updated", t)
			}
		}, true
	case "task.list":
		return ft.held(), nil, nil, true
	}
	return nil, nil, nil, false
}

// oneCall answers the fake's first offer (call c1) and rejects the other.
func oneCall(t *testing.T, ctx context.Context) {
	t.Helper()
	webtest.WaitTrue(t, ctx, `document.querySelectorAll('#toasts .toast').length === 2`, 5*time.Second)
	webtest.Click(t, ctx, `.toast[data-reservation="r1"] button.accept`)
	webtest.Click(t, ctx, `.toast[data-reservation="r2"] button.reject`)
	webtest.WaitTrue(t, ctx, `document.querySelector('#calls .call-card[data-call="c1"]')?.dataset.state === 'active' && document.querySelectorAll('#toasts .toast').length === 0`, 5*time.Second,
		`document.querySelector('#calls').outerHTML`)
}

// TestTaskCards (issues 14 and 17, PROTOCOL §10): a chat task offer rings
// beside an answered call with its channel, queue, blocking flag, age and
// attributes (escaped), takes the focus, and the A key accepts it: the
// page shows two cards (the call and the chat) with the attributes and a
// running timer; the card survives a reconnect (login's tasks); the C key
// completes it. A blocking e-mail task of a queue with wrap-up is rejected
// once, offered again, accepted and completed: its card shows the wrap-up
// with its timer and its end (wrapup_until) until "Wrap-up done" (wrapup.done)
// ends it. An assigned task canceled by the console leaves with the reason
// in the status. axe-core finds
// no serious or critical violation with the offer, the two cards, and the
// wrap-up shown.
func TestTaskCards(t *testing.T) {
	ctx, srv, fake := startPhone(t, "")
	webtest.Do(t, ctx, chromedp.EmulateViewport(1280, 900)) // the screenshots' desktop width
	loginPhone(t, ctx, srv.URL+"/")
	describe := []string{`document.querySelector('#toasts').outerHTML`, `document.querySelector('#calls').outerHTML`,
		`document.activeElement.outerHTML.slice(0, 200)`, `document.querySelector('#status').innerText`}
	wait := func(expr string) {
		t.Helper()
		webtest.WaitTrue(t, ctx, expr, 5*time.Second, describe...)
	}
	text := func(sel string) string {
		t.Helper()
		return webtest.Eval[string](t, ctx, `document.querySelector('`+sel+`')?.innerText || ''`)
	}
	has := func(what, got string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s %q lacks %q", what, got, w)
			}
		}
	}
	axe := func(state string) {
		t.Helper()
		webtest.AxeClean(t, ctx, state)
	}
	key := func(k string) {
		t.Helper()
		webtest.Do(t, ctx, chromedp.KeyEvent(k))
	}

	oneCall(t, ctx)

	// A non-blocking chat beside it: the offer.
	offered := time.Now()
	fake.offerTask("rt1", "tk1", "chat", "chat", map[string]any{"customer": "Ann Example", "topic": "billing",
		"order": 4711.0, "note": `<img src=x onerror="window.pwned=1">`}, false, false, 65*time.Second)
	offer := `#toasts .toast[data-reservation="rt1"]`
	wait(`document.querySelector('` + offer + `')?.dataset.kind === 'task' && document.activeElement.matches('` + offer + ` button.accept')`)
	got := text(offer)
	has("task offer", got, "Chat task", "Queue: Web chat", "Ann Example", "Non-blocking", "topic", "billing", "order", "4711", `<img src=x onerror="window.pwned=1">`)
	// The age is 65 s plus the time since the offer (seconds, not minutes,
	// on a loaded machine), read against the clock.
	ageWithin := func(what, text, prefix string) {
		t.Helper()
		m := regexp.MustCompile(prefix + ` (\d\d):(\d\d)`).FindStringSubmatch(text)
		if m == nil {
			t.Errorf("%s %q lacks its age (%s mm:ss)", what, text, prefix)
			return
		}
		mm, _ := strconv.Atoi(m[1])
		ss, _ := strconv.Atoi(m[2])
		if got, most := mm*60+ss, 65+int(time.Since(offered).Seconds())+1; got < 65 || got > most {
			t.Errorf("%s %q: age %d s, want 65 to %d s (65 s when offered, %v ago)", what, text, got, most, time.Since(offered).Round(time.Second))
		}
	}
	ageWithin("task offer", got, "waited")
	if !regexp.MustCompile(`\b[1-6]?\ds\b`).MatchString(got) {
		t.Errorf("task offer %q lacks the countdown", got)
	}
	if webtest.Eval[bool](t, ctx, `!!document.querySelector('#toasts img') || !!window.pwned`) {
		t.Fatal("an attribute's HTML was rendered as markup")
	}
	if webtest.Eval[bool](t, ctx, `document.querySelector('`+offer+` button.accept').disabled`) {
		t.Error("task offer's Accept disabled")
	}
	wait(`window.sb.state.ringing === true`)
	screenshot(t, ctx, "task-offer")
	axe("task offer beside a call")

	// A accepts the focused offer: two cards, the focus on Complete.
	key("a")
	tcard := `#calls .task-card[data-task="tk1"]`
	wait(`document.querySelector('` + tcard + `')?.dataset.state === 'assigned' && document.querySelectorAll('#toasts .toast').length === 0 && document.activeElement.matches('` + tcard + ` button.task-complete')`)
	if got := fake.find("reservation.accept"); len(got) != 2 || got[1].Params["reservation"] != "rt1" {
		t.Fatalf("reservation.accept requests %v, want r1 then rt1", got)
	}
	if n := webtest.Eval[[]string](t, ctx, `[...document.querySelectorAll('#calls > li')].map((li) => li.className.split(' ')[0] + ':' + (li.dataset.call || li.dataset.task))`); strings.Join(n, ",") != "call-card:c1,task-card:tk1" {
		t.Errorf("cards %v, want the call then the chat", n)
	}
	if webtest.Eval[bool](t, ctx, `document.querySelector('#no-calls').checkVisibility()`) {
		t.Error(`"No calls." shown with two cards`)
	}
	got = text(tcard)
	has("task card", got, "Ann Example", "Chat task", "Queue: Web chat", "Working", "Non-blocking", "customer", "topic", "billing", "4711", "Complete")
	if strings.Contains(got, "Wrap-up") {
		t.Errorf("task card %q shows wrap-up while assigned", got)
	}
	if webtest.Eval[bool](t, ctx, `!!document.querySelector('#calls img') || !!window.pwned`) {
		t.Fatal("an attribute's HTML was rendered as markup on the card")
	}
	if hgt := webtest.Eval[float64](t, ctx, `document.querySelector('`+tcard+` button.task-complete').getBoundingClientRect().height`); hgt < 40 {
		t.Errorf("Complete button %.0f px high, want >= 40", hgt)
	}
	// The timers run: the age from created_at, the time on the task from the accept.
	age := text(tcard + " .task-age")
	ageWithin("task card", age, "age")
	wait(`document.querySelector('` + tcard + ` .task-age').innerText !== '` + age + `' && /^00:0[1-9]$/.test(document.querySelector('` + tcard + ` .task-timer').innerText)`)
	screenshot(t, ctx, "task-beside-call")
	axe("a call and a chat")

	// A reconnect: the login result's tasks bring the card back.
	fake.dropAll()
	wait(`window.sb.state.logins === 2 && window.sb.state.connection === 'open'`)
	wait(`document.querySelector('` + tcard + `')?.dataset.state === 'assigned' && document.querySelectorAll('#calls .task-card').length === 1`)

	// C completes the task (the only one): the card goes, the call stays.
	webtest.Eval[bool](t, ctx, `(document.activeElement.blur(), true)`)
	key("c")
	wait(`!document.querySelector('` + tcard + `') && !!document.querySelector('#calls .call-card[data-call="c1"]')`)
	if got := fake.find("task.complete"); len(got) != 1 || got[0].Params["task"] != "tk1" {
		t.Fatalf("task.complete requests %v, want tk1", got)
	}
	if s := fake.taskState("tk1"); s != "completed" {
		t.Errorf("fake's tk1 is %q", s)
	}
	has("status", text("#status"), "Chat task", "completed")

	// A blocking e-mail of a queue with wrap-up: rejected once (the focus
	// does not drop to <body>), offered again, accepted with a click.
	fake.offerTask("rt2", "tk2", "email", "sales", map[string]any{"subject": "Refund for order 4711", "from": "ann@example.test"}, true, true, 2*time.Second)
	offer2 := `#toasts .toast[data-reservation="rt2"]`
	wait(`!!document.querySelector('` + offer2 + `')`)
	has("e-mail offer", text(offer2), "Email task", "Queue: Sales line", "Refund for order 4711", "Blocking")
	webtest.Click(t, ctx, offer2+" button.reject")
	wait(`!document.querySelector('` + offer2 + `') && document.activeElement !== document.body`)
	if got := fake.find("reservation.reject"); len(got) != 2 || got[1].Params["reservation"] != "rt2" {
		t.Fatalf("reservation.reject requests %v, want r2 then rt2", got)
	}
	fake.offerTask("rt3", "tk2", "email", "sales", nil, true, true, 0)
	webtest.Click(t, ctx, `#toasts .toast[data-reservation="rt3"] button.accept`)
	tcard2 := `#calls .task-card[data-task="tk2"]`
	wait(`document.querySelector('` + tcard2 + `')?.dataset.state === 'assigned'`)
	has("e-mail card", text(tcard2), "Refund for order 4711", "Email task", "Blocking", "subject", "from", "ann@example.test")

	// Complete: wrap-up on the card (and the page's wrap-up bar) until done.
	webtest.Click(t, ctx, tcard2+" button.task-complete")
	wait(`document.querySelector('` + tcard2 + `')?.dataset.state === 'wrapping' && document.querySelector('` + tcard2 + ` button.task-wrapup-done').checkVisibility() && document.querySelector('#wrapup-bar').checkVisibility()`)
	if !webtest.Eval[bool](t, ctx, `document.activeElement.matches('`+tcard2+` button.task-wrapup-done')`) {
		t.Error("the focus did not move from Complete to Wrap-up done")
	}
	// The wrap-up's end, from the agent's wrapup_until (30 s ahead in the fake).
	wait(`/^ends in 00:(2\d|30)$/.test(document.querySelector('` + tcard2 + ` .task-wrapup-end').innerText)`)
	has("wrapping card", text(tcard2), "Wrap-up", "wrap-up 00:0", "Wrap-up done")
	if webtest.Eval[bool](t, ctx, `document.querySelector('`+tcard2+` button.task-complete').checkVisibility()`) {
		t.Error("Complete still shown while wrapping")
	}
	screenshot(t, ctx, "task-wrapup")
	axe("task wrap-up")
	webtest.Click(t, ctx, tcard2+" button.task-wrapup-done")
	wait(`!document.querySelector('` + tcard2 + `') && !document.querySelector('#wrapup-bar').checkVisibility()`)
	if got := fake.find("wrapup.done"); len(got) != 1 {
		t.Errorf("wrapup.done requests %v, want one", got)
	}
	if s := fake.taskState("tk2"); s != "completed" {
		t.Errorf("fake's tk2 is %q", s)
	}
	if webtest.Eval[bool](t, ctx, `document.activeElement === document.body`) {
		t.Error("focus dropped to <body> when the card went")
	}

	// An assigned task the console cancels (task.cancel): the card goes and
	// the status says why.
	fake.offerTask("rt4", "tk3", "chat", "chat", map[string]any{"customer": "Bo"}, false, false, 0)
	webtest.Click(t, ctx, `#toasts .toast[data-reservation="rt4"] button.accept`)
	wait(`document.querySelector('#calls .task-card[data-task="tk3"]')?.dataset.state === 'assigned'`)
	fake.notifyAll("task.updated", map[string]any{"id": "tk3", "channel": "chat", "state": "canceled", "reason": "canceled", "queue": "chat",
		"attributes": map[string]any{"customer": "Bo", "channel": "chat"}, "block_agent": false})
	wait(`!document.querySelector('#calls .task-card[data-task="tk3"]')`)
	has("status", text("#status .status-msg.error"), "Chat task", "Bo", "canceled (canceled)")
}

// TestTaskCardsNarrow (issue 17 item 9 with tasks): at 360 px a task offer
// and a task card with long attributes beside a call lay out within 360 px,
// and the task's buttons stay at least 44 px high.
func TestTaskCardsNarrow(t *testing.T) {
	ctx, srv, fake := startPhone(t, "")
	webtest.Do(t, ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile))
	loginPhone(t, ctx, srv.URL+"/")
	oneCall(t, ctx)
	long := strings.Repeat("very-long-value-without-spaces-", 6)
	fake.offerTask("rt1", "tk1", "crm_case", "chat", map[string]any{"customer": "Ann Example", "case_url": "https://crm.example.test/cases/" + long,
		"a_very_long_attribute_name_without_spaces": long}, false, false, time.Second)
	wide := func(state string) {
		t.Helper()
		width := webtest.Eval[float64](t, ctx, `document.documentElement.scrollWidth`)
		over := webtest.Eval[[]string](t, ctx, `[...document.querySelectorAll('body *')].filter((e) => e.checkVisibility() && e.getBoundingClientRect().right > 361).slice(0, 8).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))`)
		if width > 360 || len(over) > 0 {
			t.Errorf("%s: page %v px wide at 360 px; wider elements: %v", state, width, over)
		}
	}
	webtest.WaitVisible(t, ctx, `#toasts .toast[data-reservation="rt1"]`, 0)
	wide("offer")
	screenshot(t, ctx, "task-offer-narrow-360")
	webtest.Do(t, ctx, chromedp.KeyEvent("a"))
	webtest.WaitTrue(t, ctx, `document.querySelector('#calls .task-card[data-task="tk1"]')?.dataset.state === 'assigned'`, 5*time.Second)
	wide("cards")
	if hgt := webtest.Eval[float64](t, ctx, `document.querySelector('#calls .task-card button.task-complete').getBoundingClientRect().height`); hgt < 44 {
		t.Errorf("Complete button %.0f px high at 360 px", hgt)
	}
	if got := webtest.Eval[string](t, ctx, `document.querySelector('#calls .task-card').innerText`); !strings.Contains(got, "Crm case task") {
		t.Errorf("card %q lacks the channel", got)
	}
	screenshot(t, ctx, "task-narrow-360")
}

// The blocking badge follows the gateway's blocking (rule 1 of §10): a
// block_agent false task in a queue without simultaneous_tasks blocks, and
// the offer says "Blocking", not "Non-blocking".
func TestTaskBadgeFollowsGateway(t *testing.T) {
	ctx, fake := loggedInPhone(t)
	fake.mu.Lock()
	fake.tasks.byID = map[string]map[string]any{"tk9": {"id": "tk9", "channel": "chat", "attributes": map[string]any{"channel": "chat"},
		"queue": "sales", "block_agent": false, "blocking": true, "created_at": stamp(time.Now())}}
	fake.tasks.res, fake.tasks.wrap = map[string]string{}, map[string]bool{}
	fake.tasks.order = []string{"tk9"}
	fake.mu.Unlock()
	fake.offerTask("rt9", "tk9", "chat", "sales", nil, false, false, 0)
	offer := `#toasts .toast[data-reservation="rt9"]`
	webtest.WaitVisible(t, ctx, offer, 0)
	if !webtest.Eval[bool](t, ctx, `!!document.querySelector('`+offer+` .badge-blocking') && !document.querySelector('`+offer+` .badge-nonblocking')`) {
		t.Errorf("offer badges %q, want Blocking", webtest.Eval[string](t, ctx, `document.querySelector('`+offer+`').innerText`))
	}
}
