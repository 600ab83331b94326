package adminui

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/web/adminui/admintest"
	"switchboard/web/page/pagetest"
	"switchboard/web/webtest"
)

func TestHandler(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/admin", Handler())
	mux.Handle("/admin/", http.StripPrefix("/admin", Handler()))
	pagetest.Serves(t, mux, []string{"/admin", "/admin/"},
		`<title>Switchboard admin</title>`, `id="token"`, `id="agents-table"`, "<script>", "<style>", "/ws/admin")
}

// TestConsole drives /admin in Chromium against a fake console: login (a
// wrong token first), create a queue and agents, a duplicate extension shown
// by its field, live calls of an agent, a route, a gateway restart with
// automatic re-auth, and a reload that authenticates from sessionStorage.
func TestConsole(t *testing.T) {
	ctx, srv, fake := startConsole(t)
	describe := []string{`document.querySelector('#console-view').innerText`, `document.querySelector('#status').innerText`}
	wait := func(expr string) {
		t.Helper()
		webtest.WaitTrue(t, ctx, expr, 5*time.Second, describe...)
	}
	text := func(sel string) string {
		t.Helper()
		return webtest.Eval[string](t, ctx, `document.querySelector('`+sel+`')?.innerText ?? '<missing>'`)
	}
	agentRow := func(id string) string { return `#agents-table tr[data-agent="` + id + `"]` }

	webtest.Do(t, ctx, chromedp.Navigate(srv.URL+"/admin"))
	webtest.WaitVisible(t, ctx, "#token", 0)

	webtest.SetValue(t, ctx, "#token", "wrong")
	webtest.Click(t, ctx, "#auth-submit")
	wait(`document.querySelector('#auth-error').innerText.includes('bad token')`)
	if webtest.Eval[bool](t, ctx, `document.querySelector('#console-view').checkVisibility()`) {
		t.Fatal("console shown after a refused token")
	}
	webtest.SetValue(t, ctx, "#token", "s3cret")
	webtest.Click(t, ctx, "#auth-submit")
	webtest.WaitVisible(t, ctx, "#console-view", 0)
	if tok := webtest.Eval[string](t, ctx, `sessionStorage.getItem('switchboard.adminToken')`); tok != "s3cret" {
		t.Errorf("sessionStorage token = %q", tok)
	}

	// A queue.
	admintest.Fill(t, ctx, "#queue-form", "id", "sales", "name", "Sales", "timeout_seconds", "20", "wrapup_seconds", "5")
	webtest.Click(t, ctx, `#queue-form input[name=allow_busy_agents]`)
	webtest.Click(t, ctx, "#queue-submit")
	wait(`document.querySelector('#queues-table tr[data-queue="sales"] .queue-name')?.innerText === 'Sales'`)
	if got := text(`#queues-table tr[data-queue="sales"]`); !strings.Contains(got, "20 s") || !strings.Contains(got, "allowed") {
		t.Errorf("queue row = %q, want timeout 20 s and busy agents allowed", got)
	}

	// An agent in that queue.
	webtest.WaitVisible(t, ctx, `#agent-form input[name=queues][value="sales"]`, 0)
	admintest.Fill(t, ctx, "#agent-form", "id", "a1", "name", "Alice", "extension", "1001", "password", "pw1", "capacity", "2")
	webtest.Click(t, ctx, `#agent-form input[name=queues][value="sales"]`)
	webtest.Click(t, ctx, "#agent-submit")
	wait(`document.querySelector('` + agentRow("a1") + ` .agent-extension')?.innerText === '1001'`)
	if got := text(agentRow("a1")); !strings.Contains(got, "Alice") || !strings.Contains(got, "sales") || !strings.Contains(got, "0/2") {
		t.Errorf("agent row = %q, want Alice, queue sales, load 0/2", got)
	}
	if a := fake.agent("a1"); a["password"] != "pw1" || len(a["queues"].([]any)) != 1 {
		t.Errorf("stored agent = %v, want password pw1 and queues [sales]", a)
	}
	wait(`document.querySelector('#agent-form input[name=id]').value === ''`) // the form was reset

	// A duplicate extension: the reason shows next to the extension field only.
	admintest.Fill(t, ctx, "#agent-form", "id", "a2", "name", "Bob", "extension", "1001")
	webtest.Click(t, ctx, "#agent-submit")
	wait(`document.querySelector('#agent-form .field-error[data-field=extension]').innerText.includes('1001 already used by agent a1')`)
	next := webtest.Eval[bool](t, ctx, `(() => {
		const input = document.querySelector('#agent-form input[name=extension]');
		const err = document.querySelector('#agent-form .field-error[data-field=extension]');
		return input.closest('.field') === err.closest('.field') && err.checkVisibility() && input.getAttribute('aria-invalid') === 'true';
	})()`)
	if !next {
		t.Error("the extension error is not shown next to the extension input")
	}
	others := webtest.Eval[string](t, ctx, `[...document.querySelectorAll('#agent-form .field-error:not([data-field=extension]), #agent-form .form-error')].map(e => e.innerText).join('')`)
	if others != "" {
		t.Errorf("other error slots show %q, want nothing", others)
	}
	if n := webtest.Eval[int](t, ctx, `document.querySelectorAll('`+agentRow("a2")+`').length`); n != 0 {
		t.Error("agent a2 shown although it was refused")
	}
	// Fixing the field clears its error; the save then works.
	webtest.SetValue(t, ctx, `#agent-form input[name=extension]`, "1002")
	wait(`document.querySelector('#agent-form .field-error[data-field=extension]').innerText === ''`)
	webtest.Click(t, ctx, "#agent-submit")
	wait(`document.querySelector('` + agentRow("a2") + ` .agent-extension')?.innerText === '1002'`)

	// Live floor: every call of a1 shows, with a running timer; the queue
	// shows its waiting call; the event is in the feed.
	now := time.Now().UTC()
	fake.setLive("a1", map[string]any{"activity": "available", "connected": true, "load": 2, "calls": []any{
		map[string]any{"id": "c1", "state": "held", "kind": "queue", "remote": "+15550001", "queue": "sales", "started_at": now.Add(-65 * time.Second).Format(time.RFC3339Nano)},
		map[string]any{"id": "c2", "state": "active", "kind": "direct", "remote": "1002", "started_at": now.Add(-5 * time.Second).Format(time.RFC3339Nano)},
	}}, "sales", []any{map[string]any{"call": "c9", "since": now.Add(-30 * time.Second).Format(time.RFC3339Nano)}})
	wait(`document.querySelectorAll('` + agentRow("a1") + ` li.agent-call').length === 2`)
	wait(`document.querySelector('` + agentRow("a1") + ` li.agent-call[data-call="c1"]').dataset.state === 'held' && document.querySelector('` + agentRow("a1") + ` li.agent-call[data-call="c2"]').dataset.state === 'active'`)
	wait(`/01:[0-5]\d/.test(document.querySelector('` + agentRow("a1") + ` li.agent-call[data-call="c1"] .timer').innerText)`)
	if got := text(agentRow("a1")); !strings.Contains(got, "2/2") || !strings.Contains(got, "available") || !strings.Contains(got, "yes") {
		t.Errorf("agent row = %q, want load 2/2, available, connected", got)
	}
	wait(`document.querySelector('#queues-table tr[data-queue="sales"] .queue-waiting').innerText === '1'`)
	wait(`/00:3\d/.test(document.querySelector('#queues-table tr[data-queue="sales"] .queue-longest').innerText)`)
	if got := text(`#queues-table tr[data-queue="sales"] .queue-busy`); got != "1" {
		t.Errorf("busy agents of sales = %q, want 1", got)
	}
	wait(`!!document.querySelector('#event-feed li.event[data-type="agent.activity"]')`)
	wait(`document.querySelectorAll('#calls-table tbody tr').length === 2 && document.querySelector('#calls-table tr[data-call="c1"]').innerText.includes('a1')`)

	// Routes: a bad target is shown by the target field; a good one is listed.
	admintest.Fill(t, ctx, "#route-form", "number", "5000", "target", "queue:nope")
	webtest.Click(t, ctx, "#route-submit")
	wait(`document.querySelector('#route-form .field-error[data-field=target]').innerText.includes('unknown queue nope')`)
	webtest.SetValue(t, ctx, `#route-form input[name=target]`, "queue:sales")
	webtest.Click(t, ctx, "#route-submit")
	wait(`document.querySelector('#routes-table tr[data-route="5000"] .route-target')?.innerText === 'queue:sales'`)

	// Delete a2 (two clicks: arm, confirm).
	webtest.Click(t, ctx, agentRow("a2")+" button.delete")
	webtest.Click(t, ctx, agentRow("a2")+" button.delete")
	wait(`!document.querySelector('` + agentRow("a2") + `')`)
	if fake.agent("a2") != nil {
		t.Error("agent a2 still stored after delete")
	}

	// Gateway restart: the page reconnects and authenticates by itself.
	before := fake.authCount()
	fake.dropAll()
	wait(`window.sbAdmin.state.auths === 2 && window.sbAdmin.state.connection === 'open'`)
	if got := fake.authCount(); got != before+1 {
		t.Errorf("auths after the restart = %d, want %d", got, before+1)
	}
	wait(`!!document.querySelector('` + agentRow("a1") + `') && document.querySelector('#conn-state').dataset.state === 'open'`)

	// A reload authenticates from sessionStorage, without the form.
	webtest.Do(t, ctx, chromedp.Reload())
	webtest.WaitVisible(t, ctx, "#console-view", 0)
	wait(`document.querySelectorAll('` + agentRow("a1") + ` li.agent-call').length === 2`)
	if got := fake.authCount(); got != before+2 {
		t.Errorf("auths after the reload = %d, want %d", got, before+2)
	}
}
