// Package webrtcleg is a browser leg on a pion PeerConnection: not shipped
// (cmd/switchboard runs media/webrtcleg/lean and its deptest forbids this
// package), it is kept as the lean engine's oracle in the shared
// conformance suite (webrtclegtest). One pion
// PeerConnection per logged-in agent, carrying one G.711 audio stream each
// way for the agent's whole session. Calls are switched onto it server-side
// (by whoever holds the leg's PacketWriter and sink); the leg itself is never
// renegotiated.
//
//	browser ──SRTP──▶ UDP mux ─▶ pion (ICE, DTLS, SRTP) ─▶ tap ─▶ sink (media.PacketWriter)
//	browser ◀──SRTP── UDP mux ◀─ pion ◀─ Leg.WritePacket ◀─ switch
//
// An Engine is made once per process. It owns the shared pion API (PCMU and
// PCMA only, no interceptors), one DTLS certificate and one UDP socket that
// every leg's ICE traffic shares (ICE UDP mux), so the gateway needs a single
// media port. Engine.Accept answers a browser's offer non-trickle (the answer
// carries every candidate) and returns the Leg.
//
// Design choices, for CPU and memory per agent (issue 8):
//   - One UDP socket for every leg (pion's ICE UDP mux): one host candidate
//     per leg, Config.IP:Config.UDPPort, and one kernel socket to drain.
//   - No interceptors: no NACK (G.711 audio is never retransmitted), no
//     TWCC, no RTCP sender/receiver reports, no stats interceptor. Each of
//     those adds per-packet work or a ticker goroutine per leg, and browsers
//     play audio without them (reports only feed getStats' remote-* fields).
//     Received RTCP is dropped on arrival (SettingEngine.BufferFactory)
//     instead of accumulating unread in pion's per-stream buffers.
//   - The outgoing track is the leg's own TrackLocal: WritePacket stamps a
//     reused rtp.Header and calls pion's SRTP writer directly (no pool, no
//     lock, zero allocations).
//   - No read loop: each leg has its own SettingEngine.BufferFactory, whose
//     per-SSRC buffer for received RTP (the tap) is claimed in OnTrack (fired
//     before the first packet) and from then on hands every packet pion's
//     SRTP session decrypts straight to the sink, with one reused Packet.
//     That is one goroutine and one goroutine hand-off per packet less than
//     reading the TrackRemote. Audio received before Start is discarded.
//   - One interface list (stdnet.Net) shared by every leg's ICE agent.
//   - One DTLS certificate per Engine, not an ECDSA key per PeerConnection.
//   - ICE timeouts: keepalive 1 s, Disconnected after 5 s of silence from the
//     browser, Failed 5 s later (browserleg's defaults, the same as the lean
//     engine's; pion's own are 2 s, 5 s and 25 s). A live browser answers
//     keepalives and sends consent checks, so a dead one is noticed within
//     about 5 s and given up within about 10 s.
//   - State, Stats, the offer errors and the SDP format → codec mapping are
//     media/browserleg's, shared with the lean engine (aliases here).
//
// What it does not do: no signalling transport (SDP enters and leaves as
// bytes), no mixing or switching policy, no video, no data channels, no
// renegotiation, no TURN.
//
// Concurrency: WritePacket may be called from any goroutine (calls are
// serialised by a mutex; one writer is the normal case). The sink is called
// one packet at a time, from pion's SRTP goroutine of the leg (or, for a
// stream without a tap, which is not expected, from a fallback read loop),
// and never after Close returns. Each Leg owns one goroutine, the state
// loop, which is the only caller of the OnState callback. Close is
// idempotent, safe to call concurrently and from the OnState callback, and
// waits for a sink call in progress; it does not wait for the state loop,
// which reports Closed last, possibly after Close returns. Engine.Close closes every
// leg, then the socket.
package webrtcleg
