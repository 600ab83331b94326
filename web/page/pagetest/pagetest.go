// Package pagetest checks, from a page's own tests, what page.Handler
// promises at the paths the page is served on: the page for GET and HEAD,
// 405 for other methods, 404 for a file name, the document with its
// stylesheet and script inlined under a hashed Content-Security-Policy.
// web/page, web/phoneui and web/adminui share it, so that each does not
// keep its own copy of the table.
package pagetest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Serves checks the page h serves at paths (the first is the page's root,
// e.g. "/admin"): each answers GET with the whole document, which holds
// every string of want and no reference to an external asset; the first
// answers HEAD with the headers alone and POST with 405; a file name next
// to it (favicon.ico) gets 404. It returns the body of the first page.
func Serves(t *testing.T, h http.Handler, paths []string, want ...string) string {
	t.Helper()
	root := paths[0]
	var first string
	for _, p := range paths {
		body := serve(t, h, "GET", p, http.StatusOK)
		if !strings.HasPrefix(body, "<!doctype html>") || !strings.HasSuffix(body, "</html>\n") {
			t.Errorf("GET %s is not a whole document: %.80q...", p, body)
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %q", p, w)
			}
		}
		for _, ext := range []string{`src="app.js"`, `href="style.css"`} {
			if strings.Contains(body, ext) {
				t.Errorf("GET %s still references an external asset (%s)", p, ext)
			}
		}
		if first == "" {
			first = body
		}
	}
	if body := serve(t, h, "HEAD", root, http.StatusOK); body != "" {
		t.Errorf("HEAD %s has a body (%d bytes)", root, len(body))
	}
	serve(t, h, "POST", root, http.StatusMethodNotAllowed)
	serve(t, h, "GET", strings.TrimSuffix(root, "/")+"/favicon.ico", http.StatusNotFound)
	return first
}

// serve asks h for method path, fails t unless it answers code, checks a
// page's headers when code is 200, and returns the body.
func serve(t *testing.T, h http.Handler, method, path string, code int) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	if rec.Code != code {
		t.Fatalf("%s %s = %d, want %d", method, path, rec.Code, code)
	}
	hd := rec.Header()
	switch code {
	case http.StatusOK:
		if ct := hd.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("%s %s: Content-Type %q, want text/html", method, path, ct)
		}
		csp := hd.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'none'", "script-src 'sha256-", "style-src 'sha256-", "connect-src 'self'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("%s %s: Content-Security-Policy %q lacks %s", method, path, csp, d)
			}
		}
	case http.StatusMethodNotAllowed:
		if a := hd.Get("Allow"); a != "GET, HEAD" {
			t.Errorf("%s %s: Allow %q, want GET, HEAD", method, path, a)
		}
	}
	return rec.Body.String()
}
