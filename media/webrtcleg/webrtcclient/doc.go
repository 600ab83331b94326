// Package webrtcclient is a minimal, non-test WebRTC endpoint on pion that
// plays the part of an agent's browser: it offers one sendrecv G.711 audio
// stream, connects to the gateway over loopback-friendly ICE settings
// (TESTING.md), sends payloads the caller hands it and delivers every
// received RTP packet to a callback. The load generator (cmd/sbload) uses
// it; tests use webrtclegtest instead.
//
// It deliberately does no pacing, tone generation or audio analysis: the
// caller owns the clock and decides what to send.
//
// Concurrency: WritePayload may be called from any one goroutine at a time.
// Config.OnPacket is invoked from the client's single reader goroutine.
// Close is idempotent and waits for that goroutine.
package webrtcclient
