package media_test

import (
	"sync"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/mediatest"
)

// TestSwitchConcurrent runs the real pacer while leg goroutines deliver
// packets and another goroutine flips states, for the race detector; every
// caller must keep receiving frames.
func TestSwitchConcurrent(t *testing.T) {
	p := media.NewPacer(media.PacerConfig{Workers: 2})
	defer p.Close()
	sw := media.NewSwitch(media.SwitchConfig{Pacer: p})
	agent := mediatest.NewLeg(nil, media.PCMU)
	sw.SetAgent(agent, media.PCMU)
	feeds := []*mediatest.Feeder{mediatest.NewFeeder(sw.AgentInput(), media.PCMU, freqAgent)}
	var legs []*mediatest.Leg
	for i, id := range []string{"a", "b", "c"} {
		leg := mediatest.NewLeg(nil, media.PCMA)
		in, err := sw.AddCall(id, leg, media.PCMA, media.StateHeld)
		if err != nil {
			t.Fatal(err)
		}
		legs = append(legs, leg)
		feeds = append(feeds, mediatest.NewFeeder(in, media.PCMA, float64(700+400*i)))
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, f := range feeds {
		wg.Go(func() {
			tk := time.NewTicker(media.FrameDuration)
			defer tk.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tk.C:
					f.Send()
				}
			}
		})
	}
	wg.Go(func() {
		states := []media.CallState{media.StateActive, media.StateMerged, media.StateHeld, media.StateOfferedDirect, media.StateOfferedQueue}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(7 * time.Millisecond):
			}
			id := []string{"a", "b", "c"}[i%3]
			sw.SetState(id, states[i%len(states)])
			sw.SetMuted(id, i%4 == 0)
			sw.SetRinging(i%5 == 0)
			if i%11 == 0 {
				sw.SetAgent(nil, media.CodecUnknown)
			} else if i%11 == 1 {
				sw.SetAgent(agent, media.PCMU)
			}
		}
	})
	waitFor(t, func() bool {
		for _, l := range legs {
			if l.Len() < 25 {
				return false
			}
		}
		return true
	}, 10*time.Second)
	close(stop)
	wg.Wait()
	if err := sw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sw.Close(); err != nil {
		t.Fatal(err)
	}
}
