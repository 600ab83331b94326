// Package adminui is the admin console page served at "/admin": plain HTML,
// vanilla JavaScript and CSS embedded in the binary (embed.FS), with no
// build step and nothing fetched from elsewhere.
//
// The page speaks PROTOCOL.md section 6 (plus records.list and route.get)
// over the websocket /ws/admin of the same host: auth with the token (kept
// in sessionStorage), then state + subscribe; live tables of agents (every
// call of each agent with its state and a running timer), queues and routes;
// forms to add, edit and delete agents, queues and routes, with each -32602
// validation reason shown next to the field it names; call records; and a
// feed of the last 200 events. It reconnects with backoff across a gateway
// restart and authenticates again by itself.
//
// The package does no I/O of its own: [Handler] serves one self-contained
// page (stylesheet and script inlined, covered by a hash-based
// Content-Security-Policy) for GET and HEAD of any path it is mounted on, so
// it works under "/admin", "/admin/" or behind http.StripPrefix alike. It is
// safe for concurrent use.
package adminui
