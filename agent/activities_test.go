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

// The softphone learns the custom activities: the login result lists them
// by id, and every logged-in agent gets activities.updated when one is
// added or removed.
func TestActivitiesListedToAgents(t *testing.T) {
	h := newHarness(t)
	h.c.ApplyActivity(store.Activity{ID: "lunch", Name: "Lunch", Available: false})
	a1 := h.connect("a1")
	if got := a1.login.Activities; len(got) != 1 || got[0].ID != "lunch" || got[0].Name != "Lunch" || got[0].Available {
		t.Fatalf("login activities %+v, want [lunch]", got)
	}
	updates := func() [][]store.Activity {
		var out [][]store.Activity
		for _, n := range a1.conn.all() {
			if n.method == "activities.updated" {
				out = append(out, n.params.(map[string]any)["activities"].([]store.Activity))
			}
		}
		return out
	}
	h.c.ApplyActivity(store.Activity{ID: "backoffice", Name: "Back office", Available: true})
	h.c.RemoveActivity("lunch")
	got := updates()
	if len(got) != 2 || len(got[0]) != 2 || got[0][0].ID != "backoffice" || got[0][1].ID != "lunch" || len(got[1]) != 1 || got[1][0].ID != "backoffice" {
		t.Fatalf("activities.updated %+v, want [backoffice lunch] then [backoffice]", got)
	}
}
