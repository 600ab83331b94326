package rtplegtest

import (
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/tone"
)

func TestPhonesTalk(t *testing.T) {
	a, b := NewPhone(t, media.PCMU), NewPhone(t, media.PCMU)
	ans, err := b.Answer(a.Offer())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetAnswer(ans); err != nil {
		t.Fatal(err)
	}
	if a.Remote() != b.Addr() || b.Remote() != a.Addr() {
		t.Fatalf("remotes %v %v, want %v %v", a.Remote(), b.Remote(), b.Addr(), a.Addr())
	}
	if b.Heard(440) {
		t.Fatal("heard a tone before any was played")
	}
	a.PlayTone(440)
	b.PlayTone(1000)
	if !b.WaitHeard(440, 3*time.Second) || !a.WaitHeard(1000, 3*time.Second) {
		t.Fatalf("tones not heard: b %v, a %v", b.Classify(440, 200*time.Millisecond), a.Classify(1000, 200*time.Millisecond))
	}
	if b.Heard(1000) || b.Classify(1000, 200*time.Millisecond) != tone.VerdictOther {
		t.Error("b hears 1 kHz, which only a hears")
	}
	a.Silence()
	if !b.waitFor(3*time.Second, func() bool { return !b.Heard(440) }) {
		t.Error("b still hears 440 Hz after a went silent")
	}
	if err := a.SendDTMF("1#"); err != nil {
		t.Fatal(err)
	}
	if !b.WaitDigits("1#", 3*time.Second) {
		t.Errorf("b got digits %q, want 1#", b.Digits())
	}
	if b.Packets() == 0 || len(b.Sources()) != 1 {
		t.Errorf("packets %d from %v", b.Packets(), b.Sources())
	}
}

func TestPhoneRejectsOtherCodec(t *testing.T) {
	a, b := NewPhone(t, media.PCMU), NewPhone(t, media.PCMA)
	if _, err := b.Answer(a.Offer()); err == nil {
		t.Error("PCMA phone answered a PCMU-only offer")
	}
}
