package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/web/phoneui/phonetest"
	"switchboard/web/webtest"
)

// taskState is GET /api/tasks/<id>'s state and agent.
func taskState(t *testing.T, g *gateway, id string) (state, agent string) {
	t.Helper()
	code, obj, _ := apiTasks(t, g, "GET", "/api/tasks/"+id, g.Token, "")
	if code != http.StatusOK {
		t.Fatalf("GET /api/tasks/%s = %d %v", id, code, obj)
	}
	state, _ = obj["state"].(string)
	agent, _ = obj["agent"].(string)
	return state, agent
}

// acceptQueueCall dials 5010 (a queue) from SIP, accepts the offer in the
// page and waits until the page and the gateway show a1's one call active.
func (p *phonePage) acceptQueueCall(g *gateway, toneHz float64) (*caller, string) {
	p.t.Helper()
	c := g.dial(p.t, "5010", toneHz)
	p.acceptToast("queue")
	p.wait(`document.querySelectorAll('#calls .call-card[data-state="active"]').length === 1`, 5*time.Second)
	id := webtest.Eval[string](p.t, p.ctx, `document.querySelector('#calls .call-card').dataset.call`)
	p.matchesGateway(g, "a1", map[string]string{id: "active"})
	return c, id
}

// PROTOCOL §10 in Chromium against the binary (issue 14 "a chat task beside
// a call in the Chromium softphone"): the agent logs in in the page and
// accepts a SIP queue call. A non-blocking chat created with POST
// /api/tasks (admin token) into a simultaneous_tasks queue then waits: a
// call is blocking work, and an agent holding blocking work is offered no
// queue work (rule 2); the page shows no offer and the task stays pending.
// Once the page hangs the call up the chat is offered in the page, with its
// attributes, and accepted there (the task is assigned to a1); a second SIP
// call then reaches the agent beside the chat (non-blocking work does not
// stop a call, rule 3; capacity 2) and is accepted: the page shows the call
// card and the task card, as the gateway's state has them. Complete on the
// task card completes the task (no wrap-up: rule 5), the call goes on. Once
// the call ends, a blocking e-mail of a queue with 3 s of wrap-up is
// accepted and completed in the page: the card shows the wrap-up and its
// end (the agent's wrapup_until), and when the wrap-up runs out the gateway
// completes the task and the card goes.
func TestSoftphoneTaskBesideCallE2E(t *testing.T) {
	t.Parallel()
	g := startGW(t)
	g.seed(t, []map[string]any{{"id": "chat", "name": "Web chat", "simultaneous_tasks": true}, {"id": "sales", "name": "Sales"},
		{"id": "email", "name": "E-mail", "wrapup_seconds": 3}},
		[]agentSpec{{ID: "a1", Ext: "1001", Queues: []string{"chat", "sales", "email"}}}, map[string]string{"5010": "queue:sales"})
	ctx := webtest.Browser(t)
	p := &phonePage{t: t, ctx: ctx}
	text := func(sel string) string {
		t.Helper()
		return webtest.Eval[string](t, ctx, `document.querySelector('`+sel+`')?.innerText || ''`)
	}

	webtest.Do(t, ctx, chromedp.Navigate(g.HTTP+"/"))
	webtest.WaitVisible(t, ctx, "#login-password", 0)
	for sel, v := range map[string]string{"#login-agent": "a1", "#login-password": "pw-a1"} {
		webtest.SetValue(t, ctx, sel, v)
	}
	webtest.Click(t, ctx, "#login-submit")
	p.wait(`window.sb.state.loggedIn && window.sb.pc && window.sb.pc.connectionState === 'connected'`, 15*time.Second)
	phonetest.GoAvailable(t, ctx)

	// A SIP call, accepted in the page.
	c1, call1 := p.acceptQueueCall(g, toneCaller1)

	// The chat over HTTP waits while the call is up (rule 2).
	code, task, _ := apiTasks(t, g, "POST", "/api/tasks", g.Token,
		`{"channel": "chat", "queue": "chat", "block_agent": false, "attributes": {"customer": "Ann Example", "topic": "billing", "order": 4711}}`)
	if code != http.StatusCreated || task["state"] != "pending" {
		t.Fatalf("POST /api/tasks = %d %v", code, task)
	}
	id := task["id"].(string)
	deadline := time.Now().Add(1500 * time.Millisecond) // a window: nothing must happen in it
	for time.Now().Before(deadline) {
		if st, _ := taskState(t, g, id); st != "pending" {
			t.Fatalf("chat is %s while the agent holds a call, want pending (rule 2)", st)
		}
		if webtest.Eval[bool](t, ctx, `!!document.querySelector('#toasts .toast[data-kind="task"]')`) {
			t.Fatal("the page shows a task offer while the agent holds a call")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The call ends from the page: the chat is offered, with its attributes.
	webtest.Click(t, ctx, `#calls .call-card[data-call="`+call1+`"] button.hangup`)
	c1.ended(t, "caller 1 hung up from the page", 10*time.Second)
	offer := `#toasts .toast[data-kind="task"][data-task="` + id + `"]`
	p.wait(`!!document.querySelector('`+offer+`') && document.activeElement.matches('`+offer+` button.accept')`, 10*time.Second)
	if st, ag := taskState(t, g, id); st != "reserved" || ag != "a1" {
		t.Errorf("offered chat is %s for %q, want reserved for a1", st, ag)
	}
	got := text(offer)
	for _, want := range []string{"Chat task", "Queue: Web chat", "Ann Example", "Non-blocking", "topic", "billing", "order", "4711"} {
		if !strings.Contains(got, want) {
			t.Errorf("task offer %q lacks %q", got, want)
		}
	}
	webtest.Click(t, ctx, offer+" button.accept")
	card := `#calls .task-card[data-task="` + id + `"]`
	p.wait(`document.querySelector('`+card+`')?.dataset.state === 'assigned' && !document.querySelector('#toasts .toast')`, 5*time.Second)
	if st, ag := taskState(t, g, id); st != "assigned" || ag != "a1" {
		t.Fatalf("accepted chat is %s for %q, want assigned to a1", st, ag)
	}

	// A second SIP call reaches the agent beside the chat (rule 3).
	c2, call2 := p.acceptQueueCall(g, toneCaller2)
	cards := webtest.Eval[[]string](t, ctx, `[...document.querySelectorAll('#calls > li')].map((li) => li.dataset.call || li.dataset.task)`)
	if len(cards) != 2 || cards[0] != call2 || cards[1] != id {
		t.Fatalf("cards %v, want the call %s then the chat %s", cards, call2, id)
	}
	got = text(card)
	for _, want := range []string{"Ann Example", "Chat task", "Queue: Web chat", "Working", "customer", "billing", "Complete"} {
		if !strings.Contains(got, want) {
			t.Errorf("task card %q lacks %q", got, want)
		}
	}
	if st, _ := taskState(t, g, id); st != "assigned" {
		t.Fatalf("chat is %s beside the call, want assigned", st)
	}

	// Complete in the page: completed on the gateway, no wrap-up (rule 5),
	// the call goes on.
	webtest.Click(t, ctx, card+" button.task-complete")
	p.wait(`!document.querySelector('`+card+`')`, 5*time.Second)
	waitFor(t, 5*time.Second, "the chat completed on the gateway", func() bool { st, _ := taskState(t, g, id); return st == "completed" })
	if webtest.Eval[bool](t, ctx, `document.querySelector('#wrapup-bar').checkVisibility()`) {
		t.Error("wrap-up shown after a simultaneous_tasks chat")
	}
	p.matchesGateway(g, "a1", map[string]string{call2: "active"})
	select {
	case <-c2.Dlg.Done():
		t.Fatal("the call ended with the chat")
	default:
	}
	if s := text("#status"); !strings.Contains(s, "Chat task") || !strings.Contains(s, "completed") {
		t.Errorf("status %q does not say the chat completed", s)
	}

	// A blocking e-mail with wrap-up, after the call.
	webtest.Click(t, ctx, `#calls .call-card[data-call="`+call2+`"] button.hangup`)
	c2.ended(t, "caller 2 hung up from the page", 10*time.Second)
	code, task, _ = apiTasks(t, g, "POST", "/api/tasks", g.Token, `{"channel": "email", "queue": "email", "attributes": {"subject": "Refund", "from": "ann@example.test"}}`)
	if code != http.StatusCreated || task["block_agent"] != true {
		t.Fatalf("POST e-mail = %d %v", code, task)
	}
	mail := task["id"].(string)
	offer = `#toasts .toast[data-kind="task"][data-task="` + mail + `"]`
	p.wait(`!!document.querySelector('`+offer+`')`, 10*time.Second)
	if got := text(offer); !strings.Contains(got, "Email task") || !strings.Contains(got, "Blocking") || !strings.Contains(got, "Refund") {
		t.Errorf("e-mail offer %q", got)
	}
	webtest.Click(t, ctx, offer+" button.accept")
	card = `#calls .task-card[data-task="` + mail + `"]`
	p.wait(`document.querySelector('`+card+`')?.dataset.state === 'assigned'`, 5*time.Second)
	webtest.Click(t, ctx, card+" button.task-complete")
	p.wait(`document.querySelector('`+card+`')?.dataset.state === 'wrapping' && /ends in 00:0[1-3]|ending/.test(document.querySelector('`+card+` .task-wrapup-end').innerText)`, 5*time.Second)
	if st, _ := taskState(t, g, mail); st != "wrapping" {
		t.Fatalf("e-mail is %s after Complete, want wrapping", st)
	}
	p.wait(`!document.querySelector('`+card+`') && !document.querySelector('#wrapup-bar').checkVisibility()`, 10*time.Second)
	if st, _ := taskState(t, g, mail); st != "completed" {
		t.Errorf("e-mail is %s after the wrap-up, want completed", st)
	}
}
