package adminui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"net/http"
	"path"
	"strings"
	"sync"
)

//go:embed static/index.html static/app.js static/style.css
var static embed.FS

// page is the built page: index.html with style.css and app.js inlined, and
// the Content-Security-Policy that allows exactly those inline blocks.
type page struct {
	html []byte
	csp  string
}

// build inlines the stylesheet and the script into index.html. A missing
// placeholder is a programmer error in the embedded files, caught by the
// package's tests.
var build = sync.OnceValue(func() page {
	read := func(name string) []byte {
		b, err := static.ReadFile("static/" + name)
		if err != nil {
			panic(fmt.Sprintf("adminui: embedded %s: %v", name, err))
		}
		return b
	}
	html, css, js := read("index.html"), read("style.css"), read("app.js")
	inline := func(doc []byte, placeholder, tag string, body []byte) []byte {
		if !bytes.Contains(doc, []byte(placeholder)) {
			panic("adminui: index.html lacks " + placeholder)
		}
		block := append(append([]byte("<"+tag+">"), body...), "</"+tag+">"...)
		return bytes.Replace(doc, []byte(placeholder), block, 1)
	}
	html = inline(html, `<link rel="stylesheet" href="style.css">`, "style", css)
	html = inline(html, `<script src="app.js"></script>`, "script", js)
	hash := func(b []byte) string {
		sum := sha256.Sum256(b)
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	csp := strings.Join([]string{
		"default-src 'none'",
		"script-src " + hash(js),
		"style-src " + hash(css),
		"connect-src 'self'",
		"img-src 'self' data:",
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
	return page{html: html, csp: csp}
})

// Handler returns the handler of the admin console page. It answers GET and HEAD
// of any path with the page, except paths whose last element looks like a
// file other than index.html (favicon.ico, robots.txt...), which get 404;
// other methods get 405.
func Handler() http.Handler {
	p := build()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if base := path.Base(r.URL.Path); strings.Contains(base, ".") && base != "index.html" {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Security-Policy", p.csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Permissions-Policy", "microphone=()")
		h.Set("Content-Length", fmt.Sprint(len(p.html)))
		if r.Method == http.MethodHead {
			return
		}
		w.Write(p.html)
	})
}
