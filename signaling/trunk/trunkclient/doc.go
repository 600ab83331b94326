// Package trunkclient is a minimal, non-test SIP user agent on sipgo that
// plays a carrier: it places calls (INVITE with an SDP body, ACK on 2xx,
// BYE), and answers BYEs from the far end. Its API carries no sipgo types.
// The load generator (cmd/sbload) uses it; tests use trunktest instead.
//
// It carries no media: pair it with an RTP endpoint that supplies the SDP.
//
// Concurrency: methods are safe for concurrent use. Close is idempotent
// and waits for the client's goroutines.
package trunkclient
