// Package webrtcleg is the browser leg of the media plane: one pion
// PeerConnection per logged-in agent, carrying one G.711 audio stream each
// way for the agent's whole session. Calls are switched onto it server-side
// (by whoever holds the leg's PacketWriter and sink); the leg itself is never
// renegotiated.
//
//	browser ──SRTP──▶ UDP mux ─▶ pion ─▶ read loop ─▶ sink (media.PacketWriter)
//	browser ◀──SRTP── UDP mux ◀─ pion ◀─ Leg.WritePacket ◀─ switch
//
// An Engine is made once per process. It owns the shared pion API (PCMU and
// PCMA only, no interceptors), one DTLS certificate and one UDP socket that
// every leg's ICE traffic shares (ICE UDP mux), so the gateway needs a single
// media port. Engine.Accept answers a browser's offer non-trickle (the answer
// carries every candidate) and returns the Leg.
//
// What it does not do: no signalling transport (SDP enters and leaves as
// bytes), no mixing or switching policy, no video, no data channels, no
// renegotiation, no TURN.
//
// Concurrency: WritePacket may be called from any goroutine (calls are
// serialised by a mutex; one writer is the normal case). Each Leg owns two
// goroutines: the read loop, started by Start, which is the only caller of the
// sink, and the state loop, which is the only caller of the OnState callback.
// Close is idempotent, safe to call concurrently and from the OnState
// callback, and waits for both (except that a Close made from inside the
// callback cannot wait for the callback itself). Engine.Close closes every
// leg, then the socket.
package webrtcleg
