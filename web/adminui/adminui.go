package adminui

import (
	"embed"
	"net/http"

	"switchboard/web/page"
)

//go:embed static/index.html static/app.js static/style.css static/sections
var static embed.FS

// sections are the section files under static/, inlined after app.js in this
// order (a section's place in the navigation is its own order field). Adding
// a section is a new file there plus one line here (README.md).
var sections = []string{
	"sections/forms.js", // not a section: the form helpers the sections wire their forms with
	"sections/floor.js",
	"sections/agents.js",
	"sections/queues.js",
	"sections/routes.js",
	"sections/trunks.js",
	"sections/workflows.js",
	"sections/menus.js", // inside the workflows section
	"sections/tasks.js",
	"sections/parked.js",
	"sections/voicemail.js",
	"sections/records.js",
	"sections/narrow.js", // not a section: labels table cells for narrow screens
}

var handler = page.Handler(page.Config{Name: "adminui", Title: "Switchboard admin", Files: static, Scripts: sections, Permissions: "microphone=()",
	ExtraCSP: []string{"media-src blob:"}, // voicemail and recording playback (sections/voicemail.js, records.js)
})

// Handler returns the handler of the admin console page (see page.Handler
// for what it answers).
func Handler() http.Handler { return handler }
