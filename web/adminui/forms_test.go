package adminui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"switchboard/web/webtest"
)

// TestFormsAfterSave (issue 17 item 10): after a save the add forms keep
// their heading and the agent form drops the "unchanged" password
// placeholder (form.id was the <input name="id">, so both broke); hanging
// up a live call asks for a second click before call.hangup is sent.
func TestFormsAfterSave(t *testing.T) {
	ctx, srv, fake := startConsole(t)
	wait := func(expr string) {
		t.Helper()
		webtest.WaitTrue(t, ctx, expr, 5*time.Second, `document.querySelector('#console-view').innerText`, `document.querySelector('#status').innerText`)
	}
	adminLogin(t, ctx, srv.URL+"/admin")

	webtest.SetValue(t, ctx, `#queue-form input[name=id]`, "sales")
	webtest.Click(t, ctx, "#queue-submit")
	wait(`!!document.querySelector('#queues-table tr[data-queue="sales"]')`)
	wait(`document.querySelector('#queue-form .form-mode').textContent === 'Add queue'`)

	webtest.SetValue(t, ctx, `#agent-form input[name=id]`, "a1")
	webtest.SetValue(t, ctx, `#agent-form input[name=extension]`, "1001")
	webtest.SetValue(t, ctx, `#agent-form input[name=password]`, "pw1")
	webtest.Click(t, ctx, "#agent-submit")
	wait(`!!document.querySelector('#agents-table tr[data-agent="a1"]')`)
	wait(`document.querySelector('#agent-form .form-mode').textContent === 'Add agent'`)
	// Edit, save: the form goes back to adding, without the edit placeholder.
	webtest.Click(t, ctx, `#agents-table tr[data-agent="a1"] button.edit`)
	wait(`document.querySelector('#agent-form').dataset.editing === 'a1'`)
	webtest.Click(t, ctx, "#agent-submit")
	wait(`document.querySelector('#agent-form').dataset.editing === undefined`)
	wait(`document.querySelector('#agent-form .form-mode').textContent === 'Add agent' && document.querySelector('#agent-form input[name=password]').placeholder === ''`)

	// Hang up needs a confirming second click.
	now := time.Now().UTC()
	fake.setLive("a1", map[string]any{"activity": "available", "connected": true, "load": 1, "calls": []any{
		map[string]any{"id": "c1", "state": "active", "kind": "queue", "remote": "+15550001", "queue": "sales", "started_at": now.Format(time.RFC3339Nano)},
	}}, "sales", nil)
	hang := `#calls-table tr[data-call="c1"] button.hangup`
	webtest.Click(t, ctx, hang)
	wait(`document.querySelector('` + hang + `').textContent === 'Confirm hang up'`)
	if n := fake.count("call.hangup"); n != 0 {
		t.Fatalf("one click sent call.hangup %d times, want a confirmation first", n)
	}
	webtest.Click(t, ctx, hang)
	deadline := time.Now().Add(5 * time.Second)
	for fake.count("call.hangup") != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("confirmed hang up: call.hangup sent %d times, want 1", fake.count("call.hangup"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRecordsLocalTime (issue 17 item 10): records show the start in the
// browser's local time with its zone, and the caller and dialled numbers.
func TestRecordsLocalTime(t *testing.T) {
	ctx, srv, fake := startConsole(t)
	fake.mu.Lock()
	fake.records = []any{map[string]any{"call": "c7", "agent": "a1", "queue": "sales", "kind": "queue", "direction": "inbound",
		"from": "+15550001", "to": "5000", "started_at": "2026-01-15T15:04:05.000Z", "ended_at": "2026-01-15T15:06:05.000Z",
		"outcome": "answered", "talk_seconds": 100}}
	fake.mu.Unlock()
	webtest.Do(t, ctx, func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/New_York"})
		return chromedp.Void{}, err
	})
	adminLogin(t, ctx, srv.URL+"/admin#records")
	webtest.Click(t, ctx, "#records-submit")
	webtest.WaitTrue(t, ctx, `!!document.querySelector('#records-table tr[data-call="c7"]')`, 5*time.Second, `document.querySelector('#section-records').innerText`)
	row := webtest.Eval[string](t, ctx, `document.querySelector('#records-table tr[data-call="c7"]').innerText`)
	started := webtest.Eval[string](t, ctx, `document.querySelector('#records-table tr[data-call="c7"] .rec-started').innerText`)
	if !strings.Contains(started, "10:04:05") || !strings.Contains(started, "EST") {
		t.Errorf("started %q, want 10:04:05 EST (15:04:05Z in New York)", started)
	}
	if zone := webtest.Eval[string](t, ctx, `document.querySelector('#records-zone').innerText`); zone != "(America/New_York)" {
		t.Errorf("zone header %q", zone)
	}
	for _, want := range []string{"+15550001", "5000"} {
		if !strings.Contains(row, want) {
			t.Errorf("record row %q lacks %q", row, want)
		}
	}
	if from := webtest.Eval[string](t, ctx, `document.querySelector('#records-table tr[data-call="c7"] .rec-from').innerText`); from != "+15550001" {
		t.Errorf("caller cell %q", from)
	}
}

// TestTableFilters (issue 17 item 10): the filter above the agents, queues
// and routes tables hides the rows that do not match.
func TestTableFilters(t *testing.T) {
	ctx, srv, _ := startConsole(t)
	adminLogin(t, ctx, srv.URL+"/admin#queues")
	webtest.Eval[bool](t, ctx, `Promise.all([sbAdmin.rpc('queue.put', {id: 'sales', name: 'Sales'}), sbAdmin.rpc('queue.put', {id: 'support', name: 'Support'})]).then(() => true)`)
	shown := `[...document.querySelectorAll('#queues-table tbody tr')].filter((tr) => tr.checkVisibility()).map((tr) => tr.dataset.queue).sort().join(',')`
	webtest.WaitTrue(t, ctx, shown+` === 'sales,support'`, 5*time.Second, shown)
	webtest.SetValue(t, ctx, `input[data-table=queues-table]`, "SUPP")
	webtest.WaitTrue(t, ctx, shown+` === 'support'`, 5*time.Second, shown)
	webtest.SetValue(t, ctx, `input[data-table=queues-table]`, "")
	webtest.WaitTrue(t, ctx, shown+` === 'sales,support'`, 5*time.Second, shown)
	for _, table := range []string{"agents-table", "routes-table"} {
		if !webtest.Eval[bool](t, ctx, `!!document.querySelector('input.table-filter[data-table=`+table+`]')`) {
			t.Errorf("no filter for %s", table)
		}
	}
}
