// Package leanclient is the load generator's cheap browser side of a
// WebRTC audio call: what a browser's PeerConnection does for one G.711
// stream, built only on the protocol libraries (pion/stun, pion/dtls,
// pion/srtp, pion/sdp), the client-side twin of the gateway's lean engine
// (media/webrtcleg/lean).
//
// A Client is one UDP address, either on a shared udpmux.Mux (Config.Mux:
// one socket on a udploop.Loop's 1 ms clock for every client on it, each
// with an address 127.N.x.y of its own) or a socket of its own read by a
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
//     WritePayload encrypts into a reused buffer and queues it on the Mux
//     (sent at the end of the loop's tick) or writes its own socket at
//     once. SRTCP is ignored, none is sent. 0 allocations per packet
//     either way.
//
// Clients share one DTLS certificate through a Pool.
package leanclient
