// Package lean is a lean browser leg: the same job and API shape as
// media/webrtcleg (one G.711 audio stream each way per logged-in agent over
// ICE + DTLS-SRTP), built on pion's protocol libraries (pion/stun,
// pion/dtls, pion/srtp, pion/sdp) instead of a pion PeerConnection, so that
// an agent costs a few KiB and no goroutine once connected, and a packet
// costs no goroutine hand-off.
//
//	browser ──SRTP──▶ shared UDP socket ─▶ socket reader ─(addr map)─▶ Leg: srtp decrypt in place ─▶ sink
//	browser ◀──SRTP── shared UDP socket ◀─ Leg.WritePacket: header + payload ─▶ srtp encrypt (reused buffers)
//
// How (RFC numbers in the code):
//   - ICE-lite (RFC 8445 §2.5): the answer carries a=ice-lite, one host
//     candidate (Config.IP:Config.UDPPort, the one socket every leg shares)
//     and fresh ice-ufrag/ice-pwd. The leg never sends checks; it answers
//     the browser's binding requests (MESSAGE-INTEGRITY checked with its
//     ice-pwd, reply with XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY, FINGERPRINT)
//     and latches the browser's address from the first valid check (a later
//     USE-CANDIDATE from another address moves it).
//   - Demultiplexing: one map lookup by remote address finds the leg (an
//     unknown address may only send a binding request, found by ufrag);
//     within a leg the first byte decides (RFC 7983): STUN, DTLS, RTP/RTCP.
//   - DTLS: the answer says a=setup:passive, so the browser is the DTLS
//     client. pion/dtls runs as server over a small PacketConn fed with the
//     leg's DTLS datagrams; the browser's certificate must match the offer's
//     a=fingerprint. After the handshake the SRTP keys are exported (RFC
//     5764) and one srtp.Context per direction is made; the DTLS connection
//     is then detached (no close_notify sent) once the browser is known to
//     have finished too (its first SRTP packet, or 3 s later), which ends
//     its goroutines and frees its state. A DTLS alert record from the
//     browser after that (close_notify on PeerConnection.close) closes the
//     leg if nothing authentic follows it within a second (it cannot be
//     authenticated any more, so a spoofed alert alone ends nothing).
//   - Media: AES-128-GCM or AES-128-CM-HMAC-SHA1-80. RTCP from the browser
//     is dropped (no reports are sent either; G.711 over WebRTC plays
//     without them).
//   - Liveness (RFC 7675 consent freshness, as seen from the lite side): any
//     authenticated packet from the browser (binding request or SRTP) counts;
//     one engine goroutine checks every leg a few times a second: nothing
//     for DisconnectedTimeout → Disconnected, for FailedTimeout more →
//     Failed (Done closes). A leg not connected within ConnectTimeout fails.
//
// Shared with media/webrtcleg through media/browserleg only (State, Stats,
// the offer errors, the SDP format → codec mapping, the default timeouts of
// 5 s and 5 s): lean links no pion/webrtc, and its deptest keeps it so.
//
// Goroutines: per Engine, the liveness ticker, and on Linux none to read
// the socket: it is a media/udploop socket, read on the loop's 1 ms clock
// (Config.Loop, shared with the trunk legs in the gateway; a private loop
// otherwise), where packets toward the browsers also wait for the end of
// the tick to leave in one sendmmsg while the clock runs (≤ 1 ms more each
// way); elsewhere a read goroutine. Per Leg: while connecting, the
// handshake goroutine and pion/dtls's (about 4); once connected, none
// (OnState callbacks run on a short-lived goroutine, one at a time, in
// order).
//
// Concurrency: WritePacket may be called from any goroutine (serialised by a
// mutex). The sink is called from the socket's reader, one packet at a
// time, with one reused Packet and a payload valid during the call only;
// a slow sink delays every leg. It is never called after Close returns.
// Close is idempotent, safe to call concurrently and from the OnState
// callback. Engine.Close closes every leg, then the socket.
//
// Not done: trickle ICE, TURN, IPv6 dual stack on one socket, renegotiation,
// RTCP reports, data channels, sending close_notify on Close once the DTLS
// connection is detached (the browser learns from consent freshness).
package lean
