package adminui

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/web/webtest"
)

// TestAxe (issue 17 "Prove it"): axe-core finds no serious or critical
// WCAG 2.2 A/AA violation on the console: the login, then each section.
func TestAxe(t *testing.T) {
	ctx, srv, _ := startConsole(t)
	webtest.Do(t, ctx, chromedp.Navigate(srv.URL+"/admin"))
	webtest.WaitVisible(t, ctx, "#token", 0)
	webtest.AxeClean(t, ctx, "login")
	adminLogin(t, ctx, srv.URL+"/admin")
	webtest.WaitVisible(t, ctx, "#console-view", 0)
	sections := webtest.Eval[[]string](t, ctx, `[...document.querySelectorAll('#section-nav a')].map((a) => a.dataset.section)`)
	if len(sections) < 5 {
		t.Fatalf("sections %v", sections)
	}
	for _, s := range sections {
		webtest.Click(t, ctx, `#section-nav a[data-section=`+s+`]`)
		webtest.WaitTrue(t, ctx, `document.querySelector('#section-nav a[aria-current=page]')?.dataset.section === '`+s+`'`, 5*time.Second)
		webtest.AxeClean(t, ctx, s)
	}
}
