// Package phoneui is the agent softphone page served at "/": plain HTML,
// vanilla JavaScript and CSS embedded in the binary (embed.FS), with no
// build step and nothing fetched from elsewhere.
//
// The page speaks PROTOCOL.md section 4 over the websocket /ws/agent of the
// same host: login, one RTCPeerConnection for the whole session (non-trickle
// webrtc.offer), activity, offer toasts with a WebAudio ring, a call list
// with per-call controls (hold/resume as a one-click swap, mute, hang-up,
// transfer, merge, wrap-up), and a dialpad for dialling and DTMF. It
// reconnects with backoff and logs in again by itself. Its element ids and
// data attributes are listed in README.md next to this file.
//
// The package does no I/O of its own: [Handler] serves one self-contained
// page (stylesheet and script inlined, covered by a hash-based
// Content-Security-Policy) for GET and HEAD of any path it is mounted on, so
// it works under "/" or behind http.StripPrefix alike. It is safe for
// concurrent use.
package phoneui
