package mediatest

import (
	"fmt"
	"strings"
	"testing"

	"switchboard/media"
	"switchboard/media/tone"
)

// TestCheckContinuity shows the checker catches gaps and doubled frames.
func TestCheckContinuity(t *testing.T) {
	clock := new(Clock)
	leg := NewLeg(clock, media.PCMU)
	f := NewFeeder(leg, media.PCMU, 1000)
	for range 5 {
		clock.Advance()
		f.Send()
	}
	if err := leg.CheckContinuity(1, 6); err != nil {
		t.Errorf("steady stream: %v", err)
	}
	if v := tone.Classify(leg.PCM(1, 6), 1000); v != tone.VerdictTone {
		t.Errorf("Classify = %v, want tone", v)
	}
	clock.Advance() // step 6: nothing
	clock.Advance() // step 7: two packets
	f.Send()
	f.Send()
	if err := leg.CheckContinuity(1, 7); err == nil {
		t.Error("gap at step 6 not reported")
	}
	if err := leg.CheckContinuity(7, 8); err == nil {
		t.Error("two packets at step 7 not reported")
	}
	other := NewLeg(clock, media.PCMA)
	NewFeeder(other, media.PCMU, 1000).Send()
	if err := other.CheckContinuity(clock.Now(), clock.Now()+1); err == nil {
		t.Error("wrong codec not reported")
	}
}

// TestCheckNumbering shows the checker catches a gap in the writer's
// numbering (a packet the Feeder skipped) that the leg's own does not show.
func TestCheckNumbering(t *testing.T) {
	clock := new(Clock)
	leg := NewLeg(clock, media.PCMU)
	f := NewFeeder(leg, media.PCMU, 1000)
	for i := range 6 {
		clock.Advance()
		if i == 3 {
			f.Skip()
		}
		f.Send()
	}
	if err := leg.CheckNumbering(1, 4); err != nil {
		t.Errorf("before the skip: %v", err)
	}
	if err := leg.CheckNumbering(1, 7); err == nil || !strings.Contains(err.Error(), "step 4: handed seq") {
		t.Errorf("skipped packet: CheckNumbering = %v, want step 4's handed seq reported", err)
	}
	if err := leg.CheckContinuity(1, 7); err != nil {
		t.Errorf("the leg's own numbering: %v", err)
	}
}

// TestMixMinus: each party is checked for every other party's tone and
// against its own.
func TestMixMinus(t *testing.T) {
	var got []string
	rec := func(kind string) Check {
		return func(_ testing.TB, who string, _ []int16, freqs ...float64) {
			got = append(got, fmt.Sprintf("%s %s %v", kind, who, freqs))
		}
	}
	MixMinus(t, rec("hears"), rec("absent"), Party{Who: "a", Freq: 1}, Party{Who: "b", Freq: 2}, Party{Who: "c", Freq: 3})
	want := "hears a [2 3]; absent a [1]; hears b [1 3]; absent b [2]; hears c [1 2]; absent c [3]"
	if s := strings.Join(got, "; "); s != want {
		t.Errorf("MixMinus checked\n%s\nwant\n%s", s, want)
	}
}
