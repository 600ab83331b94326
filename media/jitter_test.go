package media_test

import (
	"testing"

	"switchboard/media"
	"switchboard/media/tone"
)

// TestJitterBuffer feeds the mixing path (the agent hears the caller mixed
// with the call-waiting beeps, so the caller's input is decoded) with lost,
// delayed, bursty, duplicated and late packets.
func TestJitterBuffer(t *testing.T) {
	r := newRig(t, media.PCMU)
	r.add("c1", media.PCMU, freqCaller1, media.StateActive)
	r.sw.SetRinging(true)
	r.silent["c1"] = true // the test sends the caller's packets itself
	in := r.feeds["c1"].In
	sine := tone.Sine{Freq: freqCaller1}
	var pcm [media.FrameSamples]int16
	var buf [media.FrameSamples]byte
	seq := uint16(65530) // wraps during the test
	mk := func(s uint16) *media.Packet {
		sine.Fill(pcm[:])
		return &media.Packet{Payload: media.Encode(media.PCMU, buf[:], pcm[:]), Codec: media.PCMU, SequenceNumber: s, Timestamp: uint32(s) * 160}
	}
	send := func() {
		seq++
		if err := in.WritePacket(mk(seq)); err != nil {
			t.Fatal(err)
		}
	}
	start, _ := r.step(0)
	check := func(what string, want media.CounterSnapshot, got media.CounterSnapshot) {
		t.Helper()
		if got.Late != want.Late || got.Dropped != want.Dropped || (want.Concealed > 0) != (got.Concealed > 0) {
			t.Errorf("%s: counters %+v, want late %d dropped %d concealed>0 %v", what, got, want.Late, want.Dropped, want.Concealed > 0)
		}
	}
	for range 10 { // steady
		send()
		r.step(1)
	}
	check("steady", media.CounterSnapshot{}, r.sw.Counters().Snapshot())

	seq++ // one lost packet: concealed
	r.step(1)
	for range 5 {
		send()
		r.step(1)
	}
	check("loss", media.CounterSnapshot{Concealed: 1}, r.sw.Counters().Snapshot())

	// Two packets of one interval arrive in the next (jitter), then a
	// duplicate: none is late, the buffer deepens instead.
	r.step(1)
	send()
	send()
	if err := in.WritePacket(mk(seq)); err != nil {
		t.Fatal(err)
	}
	r.step(1)
	for range 40 {
		send()
		r.step(1)
	}
	check("jitter", media.CounterSnapshot{Concealed: 1}, r.sw.Counters().Snapshot())

	// A packet from well before the play-out point is late.
	if err := in.WritePacket(mk(seq - 5)); err != nil {
		t.Fatal(err)
	}
	check("late", media.CounterSnapshot{Late: 1, Concealed: 1}, r.sw.Counters().Snapshot())

	// A burst far beyond the depth drops the oldest frames.
	for range 7 {
		send()
	}
	r.step(1)
	if got := r.sw.Counters().Snapshot(); got.Dropped == 0 {
		t.Errorf("burst: counters %+v, want dropped frames", got)
	}
	_, to := r.step(20) // the stream stops: concealment fades to silence
	if err := r.agent.CheckContinuity(start, to); err != nil {
		t.Errorf("agent stream: %v", err)
	}
	tail := r.agent.PCM(to-10, to)
	if rt := tone.Ratio(tail, freqCaller1); rt > 0.02 {
		t.Errorf("after the caller stopped, agent still hears it (ratio %.2f)", rt)
	}
	isTone(t, "agent", r.agent.PCM(to-70, to-40), freqCaller1)
}
