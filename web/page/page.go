// Package page serves a single-page web UI embedded in the binary: the
// page's index.html (its body) in the document every page shares (title,
// viewport, no favicon request), with its stylesheet and script inlined at
// first use, under a Content-Security-Policy that allows exactly those two
// inline blocks (hashed), same-origin websockets and nothing else.
// web/phoneui and web/adminui are built on it.
package page

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
)

// rpcJS is the JSON-RPC websocket client every page uses (newRPCClient,
// RPCError); domJS the DOM helpers (sbPage: h, errText, elapsed).
var (
	//go:embed static/rpc.js
	rpcJS []byte
	//go:embed static/dom.js
	domJS []byte
)

// sharedJS goes before each page's own app.js, in the same script block.
var sharedJS = slices.Concat(rpcJS, []byte("\n"), domJS)

// Config describes one page.
type Config struct {
	Name        string   // for panics: the package serving the page
	Title       string   // the document's title
	Files       fs.FS    // holds static/index.html (what goes in <body>), static/style.css, static/app.js
	Scripts     []string // more files under static/ inlined after app.js, in this order (e.g. "sections/floor.js")
	ExtraCSP    []string // more CSP directives (e.g. "media-src 'self' blob: mediastream:")
	Permissions string   // Permissions-Policy header value, e.g. "microphone=(self)"
}

// built is the document around index.html, with style.css and app.js
// inlined, and its CSP.
type built struct {
	html []byte
	csp  string
}

// The document around each page's body. The empty data: icon keeps the
// browser from asking for /favicon.ico (img-src allows data:).
const (
	docHead = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n" +
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>%s</title>\n" +
		"<link rel=\"icon\" href=\"data:,\">\n<style>%s</style>\n</head>\n<body>\n"
	docTail = "<script>%s</script>\n</body>\n</html>\n"
)

func build(cfg Config) built {
	read := func(name string) []byte {
		b, err := fs.ReadFile(cfg.Files, "static/"+name)
		if err != nil {
			panic(fmt.Sprintf("%s: embedded %s: %v", cfg.Name, name, err))
		}
		return b
	}
	body, css, js := read("index.html"), read("style.css"), read("app.js")
	if bytes.Contains(body, []byte("<body")) || bytes.Contains(body, []byte("<script")) {
		panic(cfg.Name + ": index.html is the page's body: page writes the document, the <body> and the <script> around it")
	}
	// The shared JSON-RPC client goes first, in the same script block.
	js = append(append(append([]byte{}, sharedJS...), '\n'), js...)
	for _, name := range cfg.Scripts {
		js = append(append(js, '\n'), read(name)...)
	}
	doc := fmt.Appendf(nil, docHead, html.EscapeString(cfg.Title), css)
	doc = append(doc, body...)
	doc = fmt.Appendf(doc, docTail, js)
	hash := func(b []byte) string {
		sum := sha256.Sum256(b)
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	csp := append([]string{
		"default-src 'none'",
		"script-src " + hash(js),
		"style-src " + hash(css),
		"connect-src 'self'",
		"img-src 'self' data:",
	}, cfg.ExtraCSP...)
	csp = append(csp, "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'")
	return built{html: doc, csp: strings.Join(csp, "; ")}
}

// Handler returns the page's handler. It answers GET and HEAD of any path
// with the page, except paths whose last element looks like a file other
// than index.html (favicon.ico, robots.txt...), which get 404; other methods
// get 405. The page is built on the first request; a broken embedded file
// is a programmer error and panics (each page's tests request it).
func Handler(cfg Config) http.Handler {
	p := sync.OnceValue(func() built { return build(cfg) })
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
		pg := p()
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Security-Policy", pg.csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if cfg.Permissions != "" {
			h.Set("Permissions-Policy", cfg.Permissions)
		}
		h.Set("Content-Length", fmt.Sprint(len(pg.html)))
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(pg.html) // the client went away: nothing to do
	})
}
