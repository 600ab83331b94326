// Package page serves a single-page web UI embedded in the binary: an
// index.html whose stylesheet and script are inlined at first use, under a
// Content-Security-Policy that allows exactly those two inline blocks
// (hashed), same-origin websockets and nothing else. web/phoneui and
// web/adminui are built on it.
package page

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
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
	Files       fs.FS    // holds static/index.html, static/style.css, static/app.js
	Scripts     []string // more files under static/ inlined after app.js, in this order (e.g. "sections/floor.js")
	ExtraCSP    []string // more CSP directives (e.g. "media-src 'self' blob: mediastream:")
	Permissions string   // Permissions-Policy header value, e.g. "microphone=(self)"
}

// built is index.html with style.css and app.js inlined, and its CSP.
type built struct {
	html []byte
	csp  string
}

func build(cfg Config) built {
	read := func(name string) []byte {
		b, err := fs.ReadFile(cfg.Files, "static/"+name)
		if err != nil {
			panic(fmt.Sprintf("%s: embedded %s: %v", cfg.Name, name, err))
		}
		return b
	}
	html, css, js := read("index.html"), read("style.css"), read("app.js")
	// The shared JSON-RPC client goes first, in the same script block.
	js = append(append(append([]byte{}, sharedJS...), '\n'), js...)
	for _, name := range cfg.Scripts {
		js = append(append(js, '\n'), read(name)...)
	}
	inline := func(doc []byte, placeholder, tag string, body []byte) []byte {
		if !bytes.Contains(doc, []byte(placeholder)) {
			panic(cfg.Name + ": index.html lacks " + placeholder)
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
	csp := append([]string{
		"default-src 'none'",
		"script-src " + hash(js),
		"style-src " + hash(css),
		"connect-src 'self'",
		"img-src 'self' data:",
	}, cfg.ExtraCSP...)
	csp = append(csp, "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'")
	return built{html: html, csp: strings.Join(csp, "; ")}
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
