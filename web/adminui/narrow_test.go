package adminui

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/web/webtest"
)

// TestNarrow (issue 17 item 9): at 390 px no section of the console is wider
// than the screen (the tables used to scroll sideways), and table cells say
// which column they are.
func TestNarrow(t *testing.T) {
	ctx, srv, _ := startConsole(t)
	webtest.Do(t, ctx, chromedp.EmulateViewport(390, 800, chromedp.EmulateMobile))
	adminLogin(t, ctx, srv.URL+"/admin")
	webtest.WaitVisible(t, ctx, "#console-view", 0)
	sections := webtest.Eval[[]string](t, ctx, `[...document.querySelectorAll('#section-nav a')].map((a) => a.dataset.section)`)
	for _, s := range sections {
		webtest.Click(t, ctx, `#section-nav a[data-section=`+s+`]`)
		webtest.WaitTrue(t, ctx, `document.querySelector('#section-nav a[aria-current=page]')?.dataset.section === '`+s+`'`, 5*time.Second)
		wide := webtest.Eval[[]string](t, ctx, `[...document.querySelectorAll('body *')].filter((e) => e.checkVisibility() && e.getBoundingClientRect().right > 391).slice(0, 6).map((e) => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))`)
		if w := webtest.Eval[float64](t, ctx, `document.documentElement.scrollWidth`); w > 390 || len(wide) > 0 {
			t.Errorf("section %s: %v px wide at 390 px: %v", s, w, wide)
		}
	}
	webtest.Click(t, ctx, `#section-nav a[data-section=agents]`)
	// A row as app.js renders one (the fake has no agents): its cells get labels.
	webtest.Eval[bool](t, ctx, `(document.querySelector('#agents-table tbody').insertAdjacentHTML('beforeend', '<tr data-agent="zz"><td>zz</td><td>Zed</td><td>2999</td></tr>'), true)`)
	webtest.WaitTrue(t, ctx, `document.querySelector('#agents-table tr[data-agent=zz] td:nth-child(2)').dataset.label === 'Name'`, 5*time.Second, `document.querySelector('#agents-table').outerHTML.slice(0, 2000)`)
	webtest.Screenshot(t, ctx, "admin-narrow-agents")
}
