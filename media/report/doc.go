// Package report keeps RTP reception statistics and speaks RTCP (RFC 3550)
// for one media leg: sequence-number accounting (A.1, A.3), interarrival
// jitter (A.8), and compound SR/RR + SDES packets built into and parsed
// from the caller's buffers without allocating, including the round trip
// time from the peer's report blocks about our stream (§6.4.1). It turns
// what it measured into a media.Quality.
//
//	RTP in ─▶ Receiver.Packet ──┐
//	RTCP in ─▶ Receiver.HandleRTCP (LSR, RTT)
//	                             └▶ AppendCompound ─▶ RTCP out (every 5 s)
//	                             └▶ Receiver.Quality ─▶ call.ended, state, records
//
// It does no I/O and starts no goroutines: the leg owns the sockets and the
// timer. A Receiver is safe for concurrent use (one mutex; the RTP read loop
// takes it once per packet).
package report
