package e2e

import (
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/web/webtest"
)

// TestBrowserOriginRefused (issue 17 item 5): behind a proxy that does not
// pass the Host header, the gateway refuses the pages' origin; both pages
// then stop and say what to change, instead of "reconnecting…" forever.
func TestBrowserOriginRefused(t *testing.T) {
	g := startGW(t)
	target, err := url.Parse(g.HTTP)
	if err != nil {
		t.Fatal(err)
	}
	// SetURL rewrites the outbound Host to the gateway's: the proxy's
	// origin is then foreign to the gateway.
	proxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(target) }})
	t.Cleanup(proxy.Close)
	ctx := webtest.Browser(t)

	for _, tc := range []struct{ path, field, value, submit string }{
		{"/", "#login-agent", "a1", "#login-submit"},
		{"/admin", "#token", g.Token, "#auth-submit"},
	} {
		webtest.Do(t, ctx, chromedp.Navigate(proxy.URL+tc.path))
		webtest.SetValue(t, ctx, tc.field, tc.value)
		webtest.Click(t, ctx, tc.submit)
		webtest.WaitVisible(t, ctx, "#refused", 15*time.Second)
		text := webtest.Eval[string](t, ctx, `document.querySelector('#refused').innerText`)
		for _, want := range []string{"cannot connect", proxy.URL, "-allowed-origins"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: refused text %q lacks %q", tc.path, text, want)
			}
		}
		webtest.WaitTrue(t, ctx, `document.querySelector('#conn-state').dataset.state === 'refused'`, 5*time.Second, `document.querySelector('#conn-state').outerHTML`)
	}
}
