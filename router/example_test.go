package router_test

import (
	"fmt"
	"strings"
	"time"

	"switchboard/router"
)

// Example shows the orchestrator's loop: tell the router a fact, drain the
// events, act on them, re-arm the one timer.
func Example() {
	now := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	rt := router.New(router.Config{})
	var evs []router.Event
	act := func() {
		evs = rt.Drain(evs[:0])
		for _, e := range evs {
			switch e.Type {
			case router.ReservationCreated:
				fmt.Printf("ring %s for %s (expires +%s)\n", e.Agent, e.Task, e.Expires.Sub(now))
			case router.ReservationTimeout, router.ReservationCanceled:
				fmt.Printf("stop ringing %s (%s %s)\n", e.Agent, e.Type, e.Reason)
			case router.TaskFallback:
				fmt.Printf("fallback for %s: %s\n", e.Task, e.Reason)
			default:
				fmt.Println(strings.TrimSpace(fmt.Sprint(e.Type, " ", e.Agent, " ", e.Task, " ", e.Reason)))
			}
		}
	}

	_ = rt.PutQueue(router.Queue{ID: "sales", Wrapup: 10 * time.Second}, now)
	_ = rt.PutAgent(router.AgentConfig{ID: "ann", Extension: "101", Queues: []router.QueueID{"sales"}}, now)
	_ = rt.SetConnected("ann", true, now)
	_ = rt.SetActivity("ann", router.ActivityAvailable, now)
	act()

	_ = rt.AddTask(router.Task{ID: "call-1", Kind: router.KindQueue, Queue: "sales"}, now)
	act()
	deadline, _ := rt.NextDeadline()
	fmt.Println("timer at +", deadline.Sub(now))

	// Nobody answers: at the deadline the offer times out (RONA).
	rt.Advance(deadline)
	act()

	// A direct call to the now unavailable agent gets its fallback at once.
	_ = rt.AddTask(router.Task{ID: "call-2", Kind: router.KindDirect, TargetExtension: "101"}, deadline)
	act()

	// Output:
	// agent.connected ann
	// agent.activity ann
	// task.created  call-1
	// ring ann for call-1 (expires +15s)
	// timer at + 15s
	// stop ringing ann (reservation.timeout )
	// agent.activity ann  rona
	// task.created  call-2
	// fallback for call-2: unavailable
}
