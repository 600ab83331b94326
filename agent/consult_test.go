package agent

import (
	"testing"

	"switchboard/view"
)

// TestCardFields (issue 17 items 2 and 6): the login result names the
// queues; a warm transfer links the caller and its consult call both ways
// (consult, consult_for), the held caller has held_at, and the consulted
// agent's offer says who transfers whom (attributes.transfer) with the
// transferring agent's name as caller_name.
func TestCardFields(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	a2 := h.login("a2")
	if got := a1.login.QueueNames; got["sales"] != "Sales" || got["support"] != "Support" {
		t.Errorf("login queue_names = %v", got)
	}
	fc, cv := h.answered(a1, "5000", freqCaller1)
	if cv.Queue != "sales" || cv.HeldAt != "" || cv.Consult != "" {
		t.Errorf("accepted call %+v", cv)
	}
	k, err := h.c.Transfer(t.Context(), "a1", cv.ID, "1002", "warm")
	if err != nil {
		t.Fatal(err)
	}
	if k.ConsultFor != cv.ID {
		t.Errorf("consult call consult_for %q, want %q", k.ConsultFor, cv.ID)
	}
	var orig view.Call
	for _, c := range h.agentView("a1").Calls {
		if c.ID == cv.ID {
			orig = c
		}
	}
	if orig.Consult != k.ID || orig.State != "held" || orig.HeldAt == "" {
		t.Errorf("caller during consult %+v, want consult %s, held with held_at", orig, k.ID)
	}
	rv := h.nextOffer(a2)
	tr, _ := rv.Attributes["transfer"].(map[string]any)
	if tr == nil || tr["agent"] != "a1" || tr["agent_name"] != "Ann" || tr["caller"] != fc.from || tr["queue"] != "sales" {
		t.Errorf("consult offer attributes %v, want transfer {agent a1, agent_name Ann, caller %s, queue sales}", rv.Attributes, fc.from)
	}
	if rv.Attributes["caller_name"] != "Ann" {
		t.Errorf("consult offer caller_name %v, want Ann", rv.Attributes["caller_name"])
	}
	st, err := h.c.AgentState("a1")
	if err != nil || st.QueueNames["sales"] != "Sales" || st.GraceSeconds != 30 {
		t.Errorf("state queue_names = %v, %v", st.QueueNames, err)
	}
}
