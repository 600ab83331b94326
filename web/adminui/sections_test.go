package adminui

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/web/webtest"
)

// TestSections checks the console's navigation (issue 17 item 11): one link
// per section in the documented order, Floor shown alone by default, each
// section reachable by its URL fragment (also on a fresh load), the
// wallboard tile of a queue on the Floor, and the queue table's headers
// distinct (item 10: two columns were both headed "Busy agents").
func TestSections(t *testing.T) {
	ctx, srv, _ := startConsole(t)
	wait := func(expr string) {
		t.Helper()
		webtest.WaitTrue(t, ctx, expr, 5*time.Second, `document.querySelector('#console-view').innerText`)
	}
	visible := `[...document.querySelectorAll('#console-view > .view')].filter((e) => e.checkVisibility()).map((e) => e.dataset.section).join(',')`

	adminLogin(t, ctx, srv.URL+"/admin")

	nav := webtest.Eval[string](t, ctx, `[...document.querySelectorAll('#section-nav a')].map((a) => a.getAttribute('href') + '=' + a.textContent).join(' ')`)
	want := "#floor=Floor #agents=Agents #queues=Queues #routes=Routes #trunks=Trunks #workflows=Workflows and menus #voicemail=Voicemail #tasks=Tasks #records=Records #events=Events"
	if nav != want {
		t.Fatalf("navigation %q, want %q", nav, want)
	}
	if got := webtest.Eval[string](t, ctx, visible); got != "floor" {
		t.Fatalf("visible sections %q, want floor alone", got)
	}
	if !webtest.Eval[bool](t, ctx, `document.querySelector('#calls-table').checkVisibility()`) {
		t.Error("live calls not on the Floor")
	}

	webtest.Click(t, ctx, `#section-nav a[data-section=queues]`)
	wait(`location.hash === '#queues'`)
	if got := webtest.Eval[string](t, ctx, visible); got != "queues" {
		t.Fatalf("after the Queues link: visible %q", got)
	}
	if cur := webtest.Eval[string](t, ctx, `document.querySelector('#section-nav a[aria-current=page]')?.dataset.section ?? ''`); cur != "queues" {
		t.Errorf("aria-current on %q, want queues", cur)
	}
	dup := webtest.Eval[string](t, ctx, `(() => { const seen = new Set(); for (const th of document.querySelectorAll('#queues-table th')) { const t = th.textContent.trim(); if (t && seen.has(t)) return t; seen.add(t); } return ''; })()`)
	if dup != "" {
		t.Errorf("queue table has two columns headed %q", dup)
	}

	// A queue shows up as a wallboard tile on the Floor.
	webtest.Eval[bool](t, ctx, `sbAdmin.rpc('queue.put', {id: 'sales', name: 'Sales'}).then(() => true)`)
	webtest.Do(t, ctx, chromedp.Navigate(srv.URL+"/admin#floor"))
	webtest.WaitVisible(t, ctx, `#wallboard .wall-queue[data-queue=sales]`, 0)
	wait(`document.querySelector('#wallboard .wall-queue[data-queue=sales] .wall-name').textContent === 'Sales'`)
	size := webtest.Eval[float64](t, ctx, `parseFloat(getComputedStyle(document.querySelector('#wallboard .wall-value')).fontSize)`)
	if size < 32 {
		t.Errorf("wallboard numbers at %.0f px, want >= 32 px to read across a room", size)
	}

	// A fresh load of a fragment opens that section; an unknown one the Floor.
	webtest.Do(t, ctx, chromedp.Navigate(srv.URL+"/admin#records"))
	wait(`sbAdmin.state.authed && document.querySelector('#section-records').checkVisibility()`)
	if got := webtest.Eval[string](t, ctx, visible); got != "records" {
		t.Errorf("load of #records: visible %q", got)
	}
	webtest.Do(t, ctx, chromedp.Navigate(srv.URL+"/admin#nope"))
	wait(`sbAdmin.state.authed`)
	if got := webtest.Eval[string](t, ctx, visible); got != "floor" {
		t.Errorf("load of #nope: visible %q, want floor", got)
	}
	// The Tasks section (sections/tasks.js) and the menus inside Workflows and menus.
	webtest.Click(t, ctx, `#section-nav a[data-section=tasks]`)
	webtest.WaitVisible(t, ctx, `#section-tasks #task-form`, 0)
	webtest.Click(t, ctx, `#section-nav a[data-section=workflows]`)
	webtest.WaitVisible(t, ctx, `#section-workflows #menu-form`, 0)
}
