package softphone_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"switchboard/events"
	"switchboard/signaling/softphone"
	"switchboard/signaling/ws"
	"switchboard/signaling/ws/wstest"
	"switchboard/store"
	"switchboard/view"
)

// testFloor is a Floor over a hub with a fixed state.
type testFloor struct{ hub *events.Hub }

func (f testFloor) State() view.Floor {
	return view.Floor{Agents: []view.FloorAgent{}, Queues: []view.Queue{}, Calls: []view.Call{{ID: "c1", State: "active"}}}
}

func (f testFloor) Subscribe(n int) *events.Subscription { return f.hub.Subscribe(n) }

// TestFloorSubscribe (PROTOCOL §12): a supervisor's floor.subscribe
// answers the admin state and streams floor events as `event`
// notifications, one stream however often it is called; an agent is
// refused with -32003; a gateway without a floor answers -32002.
func TestFloorSubscribe(t *testing.T) {
	hub := events.NewHub()
	addSup := func(st store.Store) store.Store {
		if _, err := st.PutAgent(t.Context(), store.Agent{ID: "s1", Name: "Sue", Extension: "1009", AgentRouting: store.AgentRouting{Role: store.RoleSupervisor}}); err != nil {
			t.Fatal(err)
		}
		if err := st.SetPassword(t.Context(), "s1", "pw-s1"); err != nil {
			t.Fatal(err)
		}
		return st
	}
	url := newServerWith(t, softphone.Config{Floor: testFloor{hub}}, addSup)

	agent := wstest.Dial(t, url, nil)
	agent.MustCall("login", map[string]string{"agent": "a1", "password": "pw-a1"}, nil)
	err := agent.Call(t.Context(), "floor.subscribe", map[string]any{}, nil)
	if e := wstest.RPCError(err); e == nil || e.Code != ws.CodeConflict || !strings.Contains(e.Reason, "only a supervisor") {
		t.Errorf("agent floor.subscribe = %v, want -32003 only a supervisor", err)
	}

	sup := wstest.Dial(t, url, nil)
	sup.MustCall("login", map[string]string{"agent": "s1", "password": "pw-s1"}, nil)
	var st struct {
		Calls []struct {
			ID string `json:"id"`
		} `json:"calls"`
	}
	sup.MustCall("floor.subscribe", map[string]any{}, &st)
	if len(st.Calls) != 1 || st.Calls[0].ID != "c1" {
		t.Errorf("floor.subscribe state = %+v, want the floor's state", st)
	}
	sup.MustCall("floor.subscribe", map[string]any{}, &st) // again: one stream
	hub.Publish(events.Event{Type: "call.arrived", Call: "c2"})
	hub.Publish(events.Event{Type: "call.ended", Call: "c2"})
	for _, want := range []string{"call.arrived", "call.ended"} {
		n := sup.WaitNotification("event", 5*time.Second)
		var e events.Event
		if err := json.Unmarshal(n.Params, &e); err != nil {
			t.Fatal(err)
		}
		if e.Type != want || e.Call != "c2" {
			t.Errorf("event %s %s, want %s c2 (a second stream repeats events)", e.Type, e.Call, want)
		}
	}

	none := wstest.Dial(t, newServer(t), nil)
	none.MustCall("login", map[string]string{"agent": "a1", "password": "pw-a1"}, nil)
	if err := none.Call(t.Context(), "floor.subscribe", map[string]any{}, nil); code(t, err) != ws.CodeNotFound {
		t.Errorf("floor.subscribe without a floor = %v, want -32002", err)
	}
}
