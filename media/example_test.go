package media_test

import (
	"fmt"

	"switchboard/media"
	"switchboard/media/mediatest"
	"switchboard/media/tone"
)

// ExampleSwitch wires one agent and two callers, puts one on hold and
// talks to the other, then merges them. Real code passes rtpleg/webrtcleg
// writers and runs the Pacer on its own clock (Manual: false).
func ExampleSwitch() {
	pacer := media.NewPacer(media.PacerConfig{Manual: true})
	defer pacer.Close()
	sw := media.NewSwitch(media.SwitchConfig{Pacer: pacer})
	defer sw.Close()

	browser := mediatest.NewLeg(nil, media.PCMU) // toward the agent's browser
	sw.SetAgent(browser, media.PCMU)
	mic := mediatest.NewFeeder(sw.AgentInput(), media.PCMU, 1500)

	alice := mediatest.NewLeg(nil, media.PCMA) // toward caller 1's trunk leg
	aliceIn, _ := sw.AddCall("alice", alice, media.PCMA, media.StateActive)
	bob := mediatest.NewLeg(nil, media.PCMU)
	bobIn, _ := sw.AddCall("bob", bob, media.PCMU, media.StateHeld)
	aliceVoice := mediatest.NewFeeder(aliceIn, media.PCMA, 700)
	bobVoice := mediatest.NewFeeder(bobIn, media.PCMU, 1100)

	run := func() {
		for range 25 { // 500 ms: every leg delivers a packet, then the clock ticks
			mic.Send()
			aliceVoice.Send()
			bobVoice.Send()
			pacer.Tick()
		}
	}
	last := func(l *mediatest.Leg) []int16 {
		p := l.Packets()
		var pcm []int16
		for _, r := range p[len(p)-20:] {
			pcm = append(pcm, r.PCM...)
		}
		return pcm
	}
	run()
	fmt.Println("alice hears the agent:", tone.Classify(last(alice), 1500))
	fmt.Println("bob hears the agent:", tone.Ratio(last(bob), 1500) > 0.02)
	fmt.Println("agent hears alice:", tone.Classify(last(browser), 700))

	sw.SetState("alice", media.StateMerged)
	sw.SetState("bob", media.StateMerged)
	run()
	fmt.Println("bob hears alice:", tone.Ratio(last(bob), 700) > 0.25)
	fmt.Println("bob hears himself:", tone.Ratio(last(bob), 1100) > 0.02)
	// Output:
	// alice hears the agent: tone
	// bob hears the agent: false
	// agent hears alice: tone
	// bob hears alice: true
	// bob hears himself: false
}
