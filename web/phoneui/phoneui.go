package phoneui

import (
	"embed"
	"net/http"

	"switchboard/web/page"
)

//go:embed static/index.html static/app.js static/style.css static/ring.js static/cards.js static/tasks.js static/conn.js static/keys.js static/activities.js static/devices.js static/mic.js static/panels.js static/park.js static/voicemail.js static/supervisor.js
var static embed.FS

// scripts are inlined after app.js in this order: ring.js (the offer ring
// and ringback), cards.js (a card per call), tasks.js (task offers and a
// card per task), conn.js (connection states), keys.js (shortcuts, focus),
// activities.js (built-in and custom activities), mic.js (the microphone
// gate), devices.js (audio setup), panels.js (the side panels' extension
// points), park.js (the parked calls panel), voicemail.js (the voicemail
// panel), supervisor.js (the supervisor's floor panel). README.md.
var scripts = []string{"ring.js", "cards.js", "tasks.js", "conn.js", "keys.js", "activities.js", "mic.js", "devices.js", "panels.js", "park.js", "voicemail.js", "supervisor.js"}

var handler = page.Handler(page.Config{
	Name: "phoneui", Title: "Switchboard softphone", Files: static, Scripts: scripts, Permissions: "microphone=(self)",
	ExtraCSP: []string{"media-src 'self' blob: mediastream:"},
})

// Handler returns the handler of the softphone page (see page.Handler for
// what it answers).
func Handler() http.Handler { return handler }
