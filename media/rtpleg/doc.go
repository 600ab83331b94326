// Package rtpleg is the plain RTP/UDP media leg toward the SIP trunk: UDP
// sockets from a port range, SDP offer/answer for G.711 (RFC 3264/4566),
// RFC 4733 telephone events, symmetric RTP latching and an inactivity timeout.
//
//	trunk ──UDP──▶ read loop ─▶ filter source ─▶ rtp.Unmarshal ─┬▶ sink (media.PacketWriter)
//	                                                             └▶ OnDTMF (telephone-event)
//	trunk ◀──UDP── rtp.MarshalTo ◀─ own SSRC/seq/ts ◀─ transcode ◀─ Leg.WritePacket ◀─ switch
//
// It knows nothing of SIP dialogs: SDP enters and leaves as bytes, and SDP
// errors carry their SIP verdict (*SDPError, SIPStatus()). It does not import
// pion/webrtc, sipgo or anything above media.
//
// Concurrency: Pool and Leg are safe for concurrent use. Each started leg
// owns one read goroutine (or, with Config.Loop, its RTP socket is read on
// a media/udploop shard, every socket with data once per 1 ms tick, up to 8
// datagrams; the RTCP report goroutine keeps the inactivity timeout), which
// calls the sink and the OnDTMF callback; the *media.Packet handed to the
// sink is reused for the next packet, so sinks must not retain it or its
// Payload. Close waits for the reader.
// Lock order: sender.digitMu, then Leg.mu or sender.mu (never both).
//
// Hot path: receiving and sending a packet allocate nothing (benchmarks in
// bench_test.go prove it).
package rtpleg
