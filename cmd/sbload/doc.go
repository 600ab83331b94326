// Command sbload is Switchboard's load generator: it logs in simulated
// agents (one pion PeerConnection each, auto-accepting offers) and places
// calls from a simulated carrier (SIP over UDP + RTP) against a running
// gateway, verifies that each side hears the other's tone, and reports call
// outcomes, setup and accept-to-audio times, media latency, loss, jitter
// and the gateway's CPU and memory. See docs/LOAD.md.
package main
