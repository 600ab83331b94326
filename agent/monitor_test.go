package agent

import (
	"errors"
	"testing"

	"switchboard/events"
	"switchboard/store"
)

func supervisorSetup(s *setup) { s.agents[1].Role = store.RoleSupervisor }

// TestMonitorModes: a2 (supervisor) monitors a1's queue call in listen,
// whisper and barge, then stops; what the caller, a1 and a2 hear in each
// mode (PROTOCOL §12), Call.supervisor, call.monitored, and a3 refused.
func TestMonitorModes(t *testing.T) {
	h := newHarness(t, supervisorSetup)
	a1 := h.login("a1")
	h.login("a2")
	h.login("a3")
	for _, id := range []string{"a2", "a3"} {
		if _, err := h.c.SetActivity(id, "unavailable"); err != nil {
			t.Fatal(err)
		}
	}
	fc, cv := h.answered(a1, "5000", freqCaller1)
	a1leg, a2leg := h.agents["a1"].leg, h.agents["a2"].leg

	if _, err := h.c.Monitor("a3", cv.ID, "listen"); !errors.Is(err, ErrState) {
		t.Errorf("non-supervisor Monitor = %v, want refused", err)
	}
	if _, err := h.c.Monitor("a2", cv.ID, "shout"); !errors.Is(err, ErrBadTarget) {
		t.Errorf("bad mode = %v", err)
	}
	if _, err := h.c.Monitor("a2", "nope", "listen"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown call = %v", err)
	}

	for _, mode := range []string{"listen", "whisper", "barge"} {
		t.Run(mode, func(t *testing.T) {
			res, err := h.c.Monitor("a2", cv.ID, mode)
			if err != nil || res.Mode != mode || res.Call != cv.ID {
				t.Fatalf("Monitor(%s) = %+v, %v", mode, res, err)
			}
			h.waitEvent(EventCallMonitored, func(e events.Event) bool {
				return e.Call == cv.ID && e.Agent == "a1" && e.Detail["supervisor"] == "a2" && e.Detail["mode"] == mode
			})
			sv := h.agentView("a1").Calls[0].Supervisor
			if mode == "listen" && sv != nil || mode != "listen" && (sv == nil || sv.Agent != "a2" || sv.Mode != mode) {
				t.Errorf("Call.supervisor in %s = %+v", mode, sv)
			}
			from, to := h.listenAsync()
			caller, agent, sup := fc.leg.heard(from, to), a1leg.heard(from, to), a2leg.heard(from, to)
			hears(t, "supervisor", sup, freqCaller1, freqAgent)
			absent(t, "supervisor", sup, freqAgentB)
			hears(t, "agent", agent, freqCaller1)
			absent(t, "agent", agent, freqAgent)
			hears(t, "caller", caller, freqAgent)
			absent(t, "caller", caller, freqCaller1)
			switch mode {
			case "listen":
				absent(t, "agent", agent, freqAgentB)
				absent(t, "caller", caller, freqAgentB)
			case "whisper":
				hears(t, "agent", agent, freqAgentB)
				absent(t, "caller", caller, freqAgentB)
			case "barge":
				hears(t, "agent", agent, freqAgentB)
				hears(t, "caller", caller, freqAgentB)
			}
		})
	}
	if err := h.c.StopMonitor("a3", cv.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("StopMonitor by another = %v", err)
	}
	if err := h.c.StopMonitor("a2", cv.ID); err != nil {
		t.Fatal(err)
	}
	h.waitEvent(EventCallMonitored, func(e events.Event) bool { return e.Call == cv.ID && e.Detail["mode"] == "off" })
	from, to := h.listenAsync()
	hearsOnly(t, "agent after stop", a1leg.heard(from, to), freqCaller1)
	hearsOnly(t, "caller after stop", fc.leg.heard(from, to), freqAgent)
	nothingOrSilence(t, "supervisor after stop", a2leg.heard(from, to))
	if sv := h.agentView("a1").Calls[0].Supervisor; sv != nil {
		t.Errorf("Call.supervisor after stop = %+v", sv)
	}

	// The call ending ends the monitoring.
	if _, err := h.c.Monitor("a2", cv.ID, "barge"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.Hangup("a1", cv.ID); err != nil {
		t.Fatal(err)
	}
	h.waitEvent(EventCallMonitored, func(e events.Event) bool { return e.Call == cv.ID && e.Detail["mode"] == "off" })
}

// TestMonitorHoldsOwnCall: the supervisor's own active call is held (its
// caller hears music) before it listens in, and it hears the monitored call.
func TestMonitorHoldsOwnCall(t *testing.T) {
	h := newHarness(t, supervisorSetup)
	a1 := h.connect("a1")
	a2 := h.login("a2")
	own, ov := h.answered(a2, "5000", freqCaller2)
	if _, err := h.c.SetActivity("a2", "unavailable"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.SetActivity("a1", "available"); err != nil {
		t.Fatal(err)
	}
	fc, cv := h.answered(a1, "5000", freqCaller1)
	if _, err := h.c.Monitor("a2", cv.ID, "listen"); err != nil {
		t.Fatal(err)
	}
	if st := h.callState("a2", ov.ID); st != stateHeld {
		t.Errorf("supervisor's own call %s, want held", st)
	}
	from, to := h.listenAsync()
	music(t, "supervisor's own caller", own.leg.heard(from, to))
	sup := a2.leg.heard(from, to)
	hears(t, "supervisor", sup, freqCaller1, freqAgent)
	absent(t, "supervisor", sup, freqCaller2)
	hearsOnly(t, "monitored caller", fc.leg.heard(from, to), freqAgent)
	if _, err := h.c.Monitor("a2", ov.ID, "listen"); !errors.Is(err, ErrState) {
		t.Errorf("monitoring its own call = %v, want refused", err)
	}
}

// TestMonitorEndsWithSupervisorSession: the supervisor's session ending
// ends its monitoring (call.monitored off, Call.supervisor gone).
func TestMonitorEndsWithSupervisorSession(t *testing.T) {
	h := newHarness(t, supervisorSetup)
	a1 := h.login("a1")
	a2 := h.connect("a2")
	h.call("5000", freqCaller1)
	cv := h.accept(a1, h.nextOffer(a1))
	if _, err := h.c.Monitor("a2", cv.ID, "whisper"); err != nil {
		t.Fatal(err)
	}
	if sv := h.agentView("a1").Calls[0].Supervisor; sv == nil || sv.Mode != "whisper" {
		t.Fatalf("Call.supervisor = %+v", sv)
	}
	h.c.Disconnected("a2", a2.conn)
	h.waitEvent(EventCallMonitored, func(e events.Event) bool { return e.Call == cv.ID && e.Detail["mode"] == "off" })
	if sv := h.agentView("a1").Calls[0].Supervisor; sv != nil {
		t.Errorf("Call.supervisor after the supervisor left = %+v", sv)
	}
}
