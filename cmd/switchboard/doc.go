// Command switchboard runs the gateway: the SIP trunk, the HTTP server and
// (as later issues land) the agent and admin websockets, the router and the
// store. main only wires packages together from flags; see docs/FLAGS.md for
// every flag and its SWITCHBOARD_* environment variable.
//
// Signals: SIGTERM drains (new INVITEs get 503, /healthz answers 503, the
// process exits once the calls in progress have ended); SIGINT ends every
// call with BYE and exits.
package main
