// Package rtplegtest provides a minimal RTP phone for tests: a UDP socket on
// 127.0.0.1 that speaks SDP for itself, sends a continuous tone paced at
// 20 ms, records and decodes what it receives, and sends and receives RFC 4733
// digits. It is written independently of rtpleg (raw sockets and pion/rtp),
// so tests of rtpleg and of the gateway check against a second implementation.
//
// Concurrency: all methods are safe for concurrent use. NewPhone registers a
// t.Cleanup that closes the phone and waits for its two goroutines.
//
// Typical use against the gateway's trunk side:
//
//	ph := rtplegtest.NewPhone(t, media.PCMU)
//	// send ph.Offer() in an INVITE; apply the 200 OK's SDP:
//	if err := ph.SetAnswer(answer); err != nil { t.Fatal(err) }
//	ph.PlayTone(1000)
//	if !ph.WaitHeard(1000, 5*time.Second) { t.Fatal("no echo") }
//	_ = ph.SendDTMF("123")
package rtplegtest
