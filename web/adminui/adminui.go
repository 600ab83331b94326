package adminui

import (
	"embed"
	"net/http"

	"switchboard/web/page"
)

//go:embed static/index.html static/app.js static/style.css
var static embed.FS

var handler = page.Handler(page.Config{Name: "adminui", Files: static, Permissions: "microphone=()"})

// Handler returns the handler of the admin console page (see page.Handler
// for what it answers).
func Handler() http.Handler { return handler }
