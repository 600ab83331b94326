package phoneui

import (
	"embed"
	"net/http"

	"switchboard/web/page"
)

//go:embed static/index.html static/app.js static/style.css
var static embed.FS

var handler = page.Handler(page.Config{
	Name: "phoneui", Files: static, Permissions: "microphone=(self)",
	ExtraCSP: []string{"media-src 'self' blob: mediastream:"},
})

// Handler returns the handler of the softphone page (see page.Handler for
// what it answers).
func Handler() http.Handler { return handler }
