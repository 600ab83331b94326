// Package leanclient is the load generator's cheap browser side of a
// WebRTC audio call: what a browser's PeerConnection does for one G.711
// stream, built only on the protocol libraries (pion/stun, pion/dtls,
// pion/srtp, pion/sdp), the client-side twin of the gateway's lean engine
// (media/webrtcleg/lean).
//
// A Client is one UDP socket, read either on a shared udploop.Loop's 1 ms
// clock (Config.Loop: one goroutine for every client on the loop) or by a
// reader goroutine of its own, and, while it connects, one handshake
// goroutine:
//
//   - SDP: a complete (non-trickle) offer or answer with one host
//     candidate, a=setup:actpass (offer) or active (answer), rtcp-mux.
//   - ICE: binding requests to the peer's first host candidate every
//     50 ms until one is answered: controlling with USE-CANDIDATE as the
//     offerer or against an ICE-lite peer (Switchboard), controlled
//     otherwise (rtpengine's offer), where the handshake waits for the
//     peer's nomination. The peer's binding requests are answered
//     (RFC 8445 §7.3).
//   - DTLS: pion/dtls client over the socket; the peer's certificate is
//     checked against its SDP fingerprint, the SRTP keys exported
//     (RFC 5764) and the DTLS connection dropped (the client's final
//     flight is answered by the peer's, so nothing is left to
//     retransmit).
//   - Media: received SRTP is decrypted in place on the reader (the
//     loop's goroutine or the client's) and handed to Config.OnPacket;
//     WritePayload encrypts into a reused buffer and writes the socket
//     at once. SRTCP is ignored, none is sent. 0
//     allocations per packet either way.
//
// Clients share one DTLS certificate through a Pool.
package leanclient
