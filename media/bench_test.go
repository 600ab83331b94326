package media_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/mediatest"
	"switchboard/media/tone"
)

func benchPacket(c media.Codec, freq float64) *media.Packet {
	pcm := make([]int16, media.FrameSamples)
	(&tone.Sine{Freq: freq}).Fill(pcm)
	return &media.Packet{Payload: media.Encode(c, make([]byte, media.FrameSamples), pcm), Codec: c}
}

// manualSwitch is a Switch on a Pacer that ticks only when told (Manual),
// both closed at the end of tb, the switch first.
func manualSwitch(tb testing.TB) (*media.Pacer, *media.Switch) {
	p := media.NewPacer(media.PacerConfig{Manual: true})
	tb.Cleanup(func() {
		if err := p.Close(); err != nil {
			tb.Error(err)
		}
	})
	sw := media.NewSwitch(media.SwitchConfig{Pacer: p})
	tb.Cleanup(func() {
		if err := sw.Close(); err != nil {
			tb.Error(err)
		}
	})
	return p, sw
}

// BenchmarkFastPath forwards caller packets to the agent without decoding.
func BenchmarkFastPath(b *testing.B) {
	for _, tc := range []struct {
		name         string
		agent, trunk media.Codec
	}{{"same-codec", media.PCMU, media.PCMU}, {"PCMU-to-PCMA", media.PCMA, media.PCMU}} {
		b.Run(tc.name, func(b *testing.B) {
			_, sw := manualSwitch(b)
			var out mediatest.Counter
			sw.SetAgent(&out, tc.agent)
			in, err := sw.AddCall("c1", media.Discard, tc.trunk, media.StateActive)
			if err != nil {
				b.Fatal(err)
			}
			pkt := benchPacket(tc.trunk, freqCaller1)
			b.ReportAllocs()
			for b.Loop() {
				pkt.SequenceNumber++
				in.WritePacket(pkt)
			}
			if out.N.Load() < int64(b.N) {
				b.Fatalf("forwarded %d of %d", out.N.Load(), b.N)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/packet")
		})
	}
}

// BenchmarkMix runs one 20 ms frame of a conference: every party's packet
// decoded into its jitter buffer, the mix-minus, and every output encoded and
// written. Parties counts the agent.
func BenchmarkMix(b *testing.B) {
	for _, parties := range []int{2, 8, 9} {
		b.Run(itoa(parties)+"-parties", func(b *testing.B) {
			p, sw := manualSwitch(b)
			var out mediatest.Counter
			sw.SetAgent(&out, media.PCMU)
			ins := []media.PacketWriter{sw.AgentInput()}
			for i := 1; i < parties; i++ {
				in, err := sw.AddCall("c"+itoa(i), &out, media.PCMU, media.StateMerged)
				if err != nil {
					b.Fatal(err)
				}
				ins = append(ins, in)
			}
			benchFrames(b, p, ins, &out)
			b.ReportMetric(float64(b.N)*float64(media.FrameDuration)/float64(b.Elapsed()), "x-realtime")
		})
	}
}

// benchFrames runs b.N frames: a packet into every input, one tick; every
// input's party must get a frame each tick.
func benchFrames(b *testing.B, p *media.Pacer, ins []media.PacketWriter, out *mediatest.Counter) {
	pkt := benchPacket(media.PCMU, freqCaller1)
	b.ReportAllocs()
	for b.Loop() {
		pkt.SequenceNumber++
		for _, in := range ins {
			in.WritePacket(pkt)
		}
		p.Tick()
	}
	if out.N.Load() < int64(b.N*len(ins)) {
		b.Fatalf("wrote %d frames, want %d", out.N.Load(), b.N*len(ins))
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/frame")
}

func itoa(n int) string { return string(rune('0'+n/10%10)) + string(rune('0'+n%10)) }

// BenchmarkLatency reports the added latency of each path, p50 and p99, from
// a packet entering the switch to the frame carrying it leaving.
//
// fast: wall time of the synchronous forward (the fast path adds no
// buffering). mixing: a simulation on the pacer's test clock with arrivals
// jittered uniformly over 0-10 ms and the pacer's tick 10 ms out of phase
// with the sender; each packet is tagged by its payload byte (G.711 codes
// survive decode → single-source mix → encode unchanged).
func BenchmarkLatency(b *testing.B) {
	b.Run("fast", func(b *testing.B) {
		_, sw := manualSwitch(b)
		lat := make([]time.Duration, 0, 1<<16)
		var sent time.Time
		sw.SetAgent(media.PacketWriterFunc(func(*media.Packet) error {
			if len(lat) < cap(lat) {
				lat = append(lat, time.Since(sent))
			}
			return nil
		}), media.PCMU)
		in, _ := sw.AddCall("c1", media.Discard, media.PCMU, media.StateActive)
		pkt := benchPacket(media.PCMU, freqCaller1)
		b.ReportAllocs()
		for b.Loop() {
			pkt.SequenceNumber++
			sent = time.Now()
			in.WritePacket(pkt)
		}
		reportPercentiles(b, lat, time.Microsecond, "µs")
	})
	b.Run("mixing", func(b *testing.B) {
		p, sw := manualSwitch(b)
		const frame = media.FrameDuration
		var now time.Duration
		var arrival [256]time.Duration // by tag
		lat := make([]time.Duration, 0, 1<<16)
		sw.SetAgent(media.PacketWriterFunc(func(p *media.Packet) error {
			if tag := p.Payload[0]; arrival[tag] != 0 && len(lat) < cap(lat) {
				lat = append(lat, now-arrival[tag])
				arrival[tag] = 0
			}
			return nil
		}), media.PCMU)
		// Merged alone with the agent: the agent hears this caller only, decoded.
		in, _ := sw.AddCall("c1", media.Discard, media.PCMU, media.StateMerged)
		rng := rand.New(rand.NewPCG(1, 2))
		type arr struct {
			at  time.Duration
			seq uint16
		}
		pending := make([]arr, 0, 8)
		payload := make([]byte, media.FrameSamples)
		pkt := &media.Packet{Payload: payload, Codec: media.PCMU}
		k := 0
		b.ReportAllocs()
		for b.Loop() {
			k++
			// Packet k is sent at k*20 ms and arrives 0-10 ms later.
			pending = append(pending, arr{at: time.Duration(k)*frame + time.Duration(rng.Int64N(int64(10*time.Millisecond))), seq: uint16(k)})
			tickAt := time.Duration(k)*frame + frame/2
			slices.SortFunc(pending, func(a, b arr) int { return int(a.at - b.at) })
			i := 0
			for ; i < len(pending) && pending[i].at < tickAt; i++ {
				a := pending[i]
				now = a.at
				tag := byte(0x10 + a.seq%0x60)
				for i := range payload {
					payload[i] = tag
				}
				arrival[tag] = a.at
				pkt.SequenceNumber = a.seq
				in.WritePacket(pkt)
			}
			pending = pending[:copy(pending, pending[i:])]
			now = tickAt
			p.Tick()
		}
		reportPercentiles(b, lat, time.Millisecond, "ms")
	})
}

func reportPercentiles(b *testing.B, lat []time.Duration, unit time.Duration, name string) {
	if len(lat) == 0 {
		b.Fatal("no latency samples")
	}
	slices.Sort(lat)
	pct := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / float64(unit) }
	b.ReportMetric(pct(0.50), "p50-"+name)
	b.ReportMetric(pct(0.99), "p99-"+name)
}
