package agent

import (
	"errors"
	"testing"

	"switchboard/store"
)

// Custom activities: activity.set accepts any activity's id; an available
// one gets offers, an unavailable one does not, and the agent sees its id.
func TestCustomActivities(t *testing.T) {
	h := newHarness(t)
	h.c.ApplyActivity(store.Activity{ID: "lunch", Available: false})
	h.c.ApplyActivity(store.Activity{ID: "backoffice", Available: true})
	a1 := h.login("a1")
	v, err := h.c.SetActivity("a1", "lunch")
	if err != nil || v.Activity != "lunch" {
		t.Fatalf("SetActivity(lunch) = %+v, %v", v, err)
	}
	h.call("5000", freqCaller1)
	h.noOffer(a1)
	if v, err = h.c.SetActivity("a1", "backoffice"); err != nil || v.Activity != "backoffice" {
		t.Fatalf("SetActivity(backoffice) = %+v, %v", v, err)
	}
	h.nextOffer(a1)
	if _, err := h.c.SetActivity("a1", "nope"); !errors.Is(err, ErrBadTarget) {
		t.Fatalf("unknown activity: %v", err)
	}
	h.c.RemoveActivity("backoffice")
	if got := h.agentView("a1").Activity; got != "unavailable" {
		t.Fatalf("after its activity was deleted: %q, want unavailable", got)
	}
}
