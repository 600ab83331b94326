package rtpleg

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/mediatest"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/media/tone"
)

// feed writes n 20 ms frames of a tone to w, paced by a ticker, numbered
// from seq and ts as an RTP sender would (+1, +160).
func feed(w media.PacketWriter, codec media.Codec, n int, seq uint16, ts uint32) {
	tick := time.NewTicker(media.FrameDuration)
	defer tick.Stop()
	feedClock(w, codec, n, seq, ts, func() { <-tick.C })
}

// feedClock is feed with the pacing done by next.
func feedClock(w media.PacketWriter, codec media.Codec, n int, seq uint16, ts uint32, next func()) {
	sine := tone.Sine{Freq: 1000}
	var pcm [media.FrameSamples]int16
	var enc [media.FrameSamples]byte
	for i := range n {
		sine.Fill(pcm[:])
		p := media.Packet{Payload: media.Encode(codec, enc[:], pcm[:]), Codec: codec,
			SequenceNumber: seq + uint16(i), Timestamp: ts + uint32(i*media.FrameSamples)}
		_ = w.WritePacket(&p)
		next()
	}
}

// TestSendContinuity checks the outgoing stream across a change of feeder,
// a pause, and a hold (re-offer sendonly, then sendrecv): one SSRC, sequence
// numbers +1 each packet, timestamps +160 while continuous, a forward jump
// of exactly the wall-clock gap with the marker bit after a pause, never
// back. The sender's clock is a fake one the feeder advances 20 ms a packet.
func TestSendContinuity(t *testing.T) {
	capt := newCapture(t)
	l := openLeg(t, newTestPool(t, 0))
	clk := mediatest.NewWallClock(time.Now())
	l.send.now = clk.Now // before the first packet
	frame := func() { clk.Add(media.FrameDuration) }
	offer := func(dir string) []byte {
		return sdpOffer(capt.addr(), "0", "a="+dir)
	}
	if _, err := l.Answer(offer("sendrecv")); err != nil {
		t.Fatal(err)
	}
	l.Start(nil)

	feedClock(l, media.PCMU, 10, 100, 5000, frame) // feeder 1
	feedClock(l, media.PCMA, 10, 60000, 1, frame)  // feeder 2, other codec: transcoded
	clk.Add(300 * time.Millisecond)                // a pause
	feedClock(l, media.PCMU, 5, 0, 0, frame)
	if _, err := l.Answer(offer("sendonly")); err != nil { // remote holds us: we are recvonly
		t.Fatal(err)
	}
	feedClock(l, media.PCMU, 10, 0, 0, frame) // dropped: direction forbids sending
	if _, err := l.Answer(offer("sendrecv")); err != nil {
		t.Fatal(err)
	}
	feedClock(l, media.PCMU, 5, 0, 0, frame)
	waitFor(t, "30 packets", 2*time.Second, func() bool { return capt.count() >= 30 })

	pkts := capt.packets()
	if len(pkts) != 30 {
		t.Fatalf("captured %d packets, want 30 (held packets must be dropped)", len(pkts))
	}
	if !pkts[0].Marker {
		t.Error("first packet lacks the marker bit")
	}
	for i := 1; i < len(pkts); i++ {
		prev, cur := pkts[i-1], pkts[i]
		if cur.SSRC != prev.SSRC {
			t.Fatalf("packet %d: SSRC changed %x -> %x", i, prev.SSRC, cur.SSRC)
		}
		if cur.SequenceNumber != prev.SequenceNumber+1 {
			t.Errorf("packet %d: seq %d after %d", i, cur.SequenceNumber, prev.SequenceNumber)
		}
		if cur.PayloadType != 0 {
			t.Errorf("packet %d: PT %d, want 0 (PCMA feed transcoded)", i, cur.PayloadType)
		}
		d := cur.Timestamp - prev.Timestamp
		want, marker := uint32(media.FrameSamples), false
		switch i {
		case 20: // after the 300 ms pause: 20 ms + 300 ms of wall clock
			want, marker = 320*8, true
		case 25: // after 10 held frames: 11 frames of wall clock
			want, marker = 11*media.FrameSamples, true
		}
		if d != want || cur.Marker != marker {
			t.Errorf("packet %d: timestamp step %d marker %v, want %d %v", i, d, cur.Marker, want, marker)
		}
	}
	// Transcoded PCMA still carries the tone.
	var pcm []int16
	for _, p := range pkts[10:20] {
		pcm = append(pcm, media.Decode(media.PCMU, make([]int16, len(p.payload)), p.payload)...)
	}
	if r := tone.Ratio(pcm, 1000); r < 0.9 {
		t.Errorf("transcoded feed: 1 kHz ratio %.2f", r)
	}
}

// TestSendKeepsGaps: a writer's sequence gaps and timestamp steps pass
// through the leg (offsets, not re-stamping), so the remote sees loss as
// loss; a reordered packet goes out late with its own numbers.
func TestSendKeepsGaps(t *testing.T) {
	capt := newCapture(t)
	l := openLeg(t, newTestPool(t, 0))
	clk := mediatest.NewWallClock(time.Now())
	l.send.now = clk.Now
	if _, err := l.Answer(sdpOffer(capt.addr(), "0")); err != nil {
		t.Fatal(err)
	}
	l.Start(nil)
	frame := func() { clk.Add(media.FrameDuration) }
	payload := make([]byte, media.FrameSamples)
	write := func(seq uint16, ts uint32, n int) {
		_ = l.WritePacket(&media.Packet{Payload: payload[:n], Codec: media.PCMU, SequenceNumber: seq, Timestamp: ts})
		frame()
	}
	write(100, 1000, 160)
	write(101, 1160, 160)
	write(104, 1640, 160) // 102, 103 lost upstream
	write(105, 1800, 80)  // a 10 ms packet
	write(107, 1960, 160) // 106 comes late
	write(106, 1880, 80)
	waitFor(t, "6 packets", 2*time.Second, func() bool { return capt.count() >= 6 })
	pkts := capt.packets()
	base, tsBase := pkts[0].SequenceNumber, pkts[0].Timestamp
	want := []struct {
		seq uint16
		ts  uint32
	}{{0, 0}, {1, 160}, {4, 640}, {5, 800}, {7, 960}, {6, 880}}
	for i, w := range want {
		if got := pkts[i]; got.SequenceNumber-base != w.seq || got.Timestamp-tsBase != w.ts {
			t.Errorf("packet %d: seq +%d ts +%d, want +%d +%d", i, got.SequenceNumber-base, got.Timestamp-tsBase, w.seq, w.ts)
		}
	}
}

// TestSinkSwap swaps the sink mid-stream: every packet reaches exactly one
// sink, in order.
func TestSinkSwap(t *testing.T) {
	pool := newTestPool(t, 0)
	a, b := openLeg(t, pool), openLeg(t, pool)
	connect(t, a, b, "0")
	var r1, r2 recorder
	b.Start(&r1)
	a.Start(nil)
	feed(a, media.PCMU, 10, 0, 0)
	waitFor(t, "10 packets in sink 1", 2*time.Second, func() bool { return r1.packets() == 10 })
	b.SetSink(&r2)
	feed(a, media.PCMU, 10, 10, 10*media.FrameSamples) // the same sender goes on
	waitFor(t, "10 packets in sink 2", 2*time.Second, func() bool { return r2.packets() == 10 })
	all := append(r1.snapshot(), r2.snapshot()...)
	for i := 1; i < len(all); i++ {
		if all[i].SequenceNumber != all[i-1].SequenceNumber+1 {
			t.Errorf("packet %d: seq %d after %d", i, all[i].SequenceNumber, all[i-1].SequenceNumber)
		}
	}
	if r1.packets() != 10 {
		t.Errorf("sink 1 got %d packets after the swap", r1.packets()-10)
	}
}

// TestDTMF sends digits between two legs and between a leg and the
// independent test phone, and checks the wire format against audio.
func TestDTMF(t *testing.T) {
	t.Run("leg to leg", func(t *testing.T) {
		pool := newTestPool(t, 0)
		a, b := openLeg(t, pool), openLeg(t, pool)
		connect(t, a, b, "")
		got := make(chan rune, 32)
		b.OnDTMF(func(d rune) { got <- d })
		a.Start(nil)
		b.Start(nil)
		playTone(t, a, media.PCMU, 1000)
		const digits = "0123456789*#ABCD"
		if err := a.SendDTMF(digits, 40*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		var s []rune
		waitFor(t, "digits", 3*time.Second, func() bool {
			for {
				select {
				case d := <-got:
					s = append(s, d)
				default:
					return string(s) == digits
				}
			}
		})
		if st := b.Stats(); st.DTMFIn != uint64(len(digits)) || a.Stats().DTMFOut != uint64(len(digits)) {
			t.Errorf("DTMFIn %d, DTMFOut %d, want %d", st.DTMFIn, a.Stats().DTMFOut, len(digits))
		}
	})
	t.Run("phone to leg and back", func(t *testing.T) {
		l := openLeg(t, newTestPool(t, 0))
		ph := rtplegtest.NewPhone(t, media.PCMA)
		negotiate(t, l, ph)
		got := make(chan rune, 8)
		l.OnDTMF(func(d rune) { got <- d })
		l.Start(nil)
		ph.PlayTone(1000)
		if err := ph.SendDTMF("5#"); err != nil {
			t.Fatal(err)
		}
		for _, want := range "5#" {
			select {
			case d := <-got:
				if d != want {
					t.Errorf("digit %q, want %q", d, want)
				}
			case <-time.After(3 * time.Second):
				t.Fatalf("digit %q not received", want)
			}
		}
		if err := l.SendDTMF("7*", 0); err != nil {
			t.Fatal(err)
		}
		if !ph.WaitDigits("7*", 3*time.Second) {
			t.Errorf("phone got digits %q, want 7*", ph.Digits())
		}
	})
	t.Run("wire format", func(t *testing.T) {
		capt := newCapture(t)
		l := openLeg(t, newTestPool(t, 0))
		if _, err := l.Answer(sdpOffer(capt.addr(), "0 96", "a=rtpmap:96 telephone-event/8000")); err != nil {
			t.Fatal(err)
		}
		player := playTone(t, l, media.PCMU, 1000)
		waitFor(t, "audio", 2*time.Second, func() bool { return capt.count() >= 5 })
		if err := l.SendDTMF("19", 100*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		n := capt.count()
		waitFor(t, "audio after the digits", 2*time.Second, func() bool { return capt.count() >= n+5 })
		player.Stop()
		checkDTMFWire(t, capt.packets(), 96, []byte{1, 9})
	})
	t.Run("not negotiated", func(t *testing.T) {
		l := openLeg(t, newTestPool(t, 0))
		if _, err := l.Answer(sdpOffer(netip.MustParseAddrPort("127.0.0.1:4000"), "0")); err != nil {
			t.Fatal(err)
		}
		if err := l.SendDTMF("1", 0); !errors.Is(err, ErrNoTelephoneEvent) {
			t.Errorf("SendDTMF = %v, want ErrNoTelephoneEvent", err)
		}
		if err := l.SendDTMF("1x", 0); err == nil {
			t.Error("SendDTMF accepted digit x")
		}
	})
}

// checkDTMFWire checks RFC 4733 framing inside an audio stream: seq +1 for
// every packet, events with one timestamp each, marker on the first event
// packet, growing durations, exactly three end packets, volume 10, and audio
// timestamps that never overlap an event.
func checkDTMFWire(t *testing.T, pkts []captured, pt uint8, codes []byte) {
	t.Helper()
	type event struct {
		ts, lastDur uint32
		code        byte
		n, ends     int
	}
	var events []*event
	var lastEnd uint32 // timestamp where the last audio or event ended
	for i, p := range pkts {
		if i > 0 && p.SequenceNumber != pkts[i-1].SequenceNumber+1 {
			t.Errorf("packet %d: seq %d after %d", i, p.SequenceNumber, pkts[i-1].SequenceNumber)
		}
		if p.PayloadType != pt {
			if i > 0 && int32(p.Timestamp-lastEnd) < 0 {
				t.Errorf("packet %d: audio timestamp %d overlaps the previous end %d", i, p.Timestamp, lastEnd)
			}
			lastEnd = p.Timestamp + uint32(len(p.payload))
			continue
		}
		if len(p.payload) != 4 {
			t.Fatalf("packet %d: event payload %d bytes", i, len(p.payload))
		}
		code, end, vol := p.payload[0], p.payload[1]&0x80 != 0, p.payload[1]&0x3f
		dur := uint32(p.payload[2])<<8 | uint32(p.payload[3])
		if len(events) == 0 || events[len(events)-1].ts != p.Timestamp {
			if !p.Marker {
				t.Errorf("packet %d: first packet of an event lacks the marker", i)
			}
			if int32(p.Timestamp-lastEnd) < 0 {
				t.Errorf("packet %d: event timestamp %d before the audio end %d", i, p.Timestamp, lastEnd)
			}
			events = append(events, &event{ts: p.Timestamp, code: code})
		} else if p.Marker {
			t.Errorf("packet %d: marker inside an event", i)
		}
		e := events[len(events)-1]
		if vol != dtmfVolume || code != e.code || dur < e.lastDur {
			t.Errorf("packet %d: code %d vol %d dur %d after %d", i, code, vol, dur, e.lastDur)
		}
		e.n++
		e.lastDur = dur
		if end {
			e.ends++
		} else if e.ends > 0 {
			t.Errorf("packet %d: progress packet after an end packet", i)
		}
		lastEnd = p.Timestamp + dur
	}
	if len(events) != len(codes) {
		t.Fatalf("saw %d events, want %d", len(events), len(codes))
	}
	for i, e := range events {
		if e.code != codes[i] || e.ends != 3 || e.lastDur != 800 {
			t.Errorf("event %d: code %d, %d end packets, duration %d; want code %d, 3 ends, 800", i, e.code, e.ends, e.lastDur, codes[i])
		}
	}
}

// TestInactivityTimeout ends a silent leg with ErrTimeout, keeps a fed one
// alive, and suspends the timeout while held.
func TestInactivityTimeout(t *testing.T) {
	const timeout = 150 * time.Millisecond
	t.Run("silent", func(t *testing.T) {
		l := openLeg(t, newTestPool(t, timeout))
		if _, err := l.Answer(sdpOffer(netip.MustParseAddrPort("127.0.0.1:4000"), "0")); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		l.Start(nil)
		select {
		case <-l.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("leg did not time out")
		}
		if el := time.Since(start); el < timeout {
			t.Errorf("timed out after %v, before the %v timeout", el, timeout)
		}
		if !errors.Is(l.Err(), ErrTimeout) {
			t.Errorf("Err() = %v, want ErrTimeout", l.Err())
		}
		if err := l.WritePacket(&media.Packet{Payload: []byte{1}, Codec: media.PCMU}); !errors.Is(err, ErrClosed) {
			t.Errorf("WritePacket after timeout = %v, want ErrClosed", err)
		}
	})
	t.Run("fed then silent", func(t *testing.T) {
		const timeout = 400 * time.Millisecond // longer: the phone's pacing must not stall past it on a busy machine
		l := openLeg(t, newTestPool(t, timeout))
		ph := rtplegtest.NewPhone(t, media.PCMU)
		if _, err := l.Answer(ph.Offer()); err != nil {
			t.Fatal(err)
		}
		ph.SetRemote(l.LocalAddr())
		ph.PlayTone(1000)
		l.Start(nil)
		select {
		case <-l.Done():
			t.Fatalf("leg ended while fed: %v", l.Err())
		case <-time.After(3 * timeout):
		}
		ph.Silence()
		stopped := time.Now()
		<-l.Done()
		if el := time.Since(stopped); el < timeout-30*time.Millisecond {
			t.Errorf("ended %v after the last packet, timeout is %v", el, timeout)
		}
		if !errors.Is(l.Err(), ErrTimeout) {
			t.Errorf("Err() = %v, want ErrTimeout", l.Err())
		}
	})
	t.Run("hold suspends", func(t *testing.T) {
		l := openLeg(t, newTestPool(t, timeout))
		if _, err := l.Answer(sdpOffer(netip.MustParseAddrPort("127.0.0.1:4000"), "0")); err != nil {
			t.Fatal(err)
		}
		l.SetHold(true)
		l.Start(nil)
		select {
		case <-l.Done():
			t.Fatalf("held leg ended: %v", l.Err())
		case <-time.After(5 * timeout):
		}
		resumed := time.Now()
		l.SetHold(false)
		<-l.Done()
		if el := time.Since(resumed); el < timeout-30*time.Millisecond {
			t.Errorf("ended %v after resume, timeout is %v", el, timeout)
		}
		if !errors.Is(l.Err(), ErrTimeout) {
			t.Errorf("Err() = %v, want ErrTimeout", l.Err())
		}
	})
	t.Run("inactive direction suspends", func(t *testing.T) {
		l := openLeg(t, newTestPool(t, timeout))
		if _, err := l.Answer(sdpOffer(netip.MustParseAddrPort("127.0.0.1:4000"), "0", "a=inactive")); err != nil {
			t.Fatal(err)
		}
		l.Start(nil)
		select {
		case <-l.Done():
			t.Fatalf("inactive leg ended: %v", l.Err())
		case <-time.After(5 * timeout):
		}
	})
	t.Run("disabled", func(t *testing.T) {
		l := openLeg(t, newTestPool(t, -1))
		l.Start(nil)
		select {
		case <-l.Done():
			t.Fatalf("leg with timeout disabled ended: %v", l.Err())
		case <-time.After(3 * timeout):
		}
	})
}

// TestCloseAndPool checks Close (idempotent, concurrent, returns the port),
// port reuse, skipping ports in use, and exhaustion.
func TestCloseAndPool(t *testing.T) {
	// Find two free even ports next to each other for a private range.
	var lo int
	for port := 32000; port < 33000; port += 4 {
		c1, err1 := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		c2, err2 := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port + 2})
		for _, c := range []*net.UDPConn{c1, c2} {
			if c != nil {
				_ = c.Close()
			}
		}
		if err1 == nil && err2 == nil {
			lo = port
			break
		}
	}
	if lo == 0 {
		t.Fatal("no free ports for the test")
	}
	pool, err := NewPool(Config{IP: loopback, PortMin: lo, PortMax: lo + 3, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	// Someone else holds the first port: Open skips it.
	other, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: lo})
	if err != nil {
		t.Fatal(err)
	}
	a, err := pool.Open()
	if err != nil {
		t.Fatal(err)
	}
	if int(a.LocalAddr().Port()) != lo+2 {
		t.Errorf("Open() got port %d, want %d (skipping %d in use)", a.LocalAddr().Port(), lo+2, lo)
	}
	if _, err := pool.Open(); !errors.Is(err, ErrPortsExhausted) {
		t.Errorf("Open() on a full range = %v, want ErrPortsExhausted", err)
	}
	_ = other.Close()
	b, err := pool.Open()
	if err != nil || int(b.LocalAddr().Port()) != lo {
		t.Fatalf("Open() = %v, %v; want port %d", b, err, lo)
	}
	a.Start(nil)
	errs := make(chan error, 3)
	for range 3 {
		go func() { errs <- a.Close() }()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Errorf("Close() = %v", err)
		}
	}
	select {
	case <-a.Done():
	default:
		t.Error("Done() open after Close")
	}
	if a.Err() != nil {
		t.Errorf("Err() after Close = %v, want nil", a.Err())
	}
	if pool.InUse() != 1 {
		t.Errorf("InUse() = %d, want 1", pool.InUse())
	}
	c, err := pool.Open()
	if err != nil || int(c.LocalAddr().Port()) != lo+2 {
		t.Fatalf("Open() after Close = %v, %v; want port %d back", c, err, lo+2)
	}
	_ = b.Close()
	_ = c.Close()
	if pool.InUse() != 0 {
		t.Errorf("InUse() = %d after closing all, want 0", pool.InUse())
	}
}
