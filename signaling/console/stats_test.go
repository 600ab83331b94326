package console_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"switchboard/signaling/console"
	"switchboard/signaling/ws"
	"switchboard/store"
	"switchboard/view"
)

type stateFloor struct{ state view.Floor }

func (f stateFloor) State() view.Floor { return f.state }
func (f stateFloor) HangupCall(context.Context, string, string) error {
	return console.ErrNoSuchCall
}

// TestStats: stats through the websocket, from stored records and the
// floor's state, with exactly the contract's keys.
func TestStats(t *testing.T) {
	now := time.Now().UTC()
	l1 := view.Call{ID: "L1", State: "active", Queue: "sales", StartedAt: now.Add(-time.Minute).Format(time.RFC3339Nano),
		AnsweredAt: now.Add(-50 * time.Second).Format(time.RFC3339Nano)}
	floor := stateFloor{view.Floor{
		Agents: []view.FloorAgent{
			{Agent: view.Agent{ID: "bob", Activity: "available"}, Calls: []view.Call{l1}},
			{Agent: view.Agent{ID: "ann", Activity: "break", Wrapup: true}, Calls: []view.Call{}},
		},
		Queues: []view.Queue{{ID: "sales", Waiting: 1, LongestWaitSecs: 33.5}},
		Calls: []view.Call{
			l1,
			{ID: "L2", State: "waiting", Queue: "sales", StartedAt: now.Add(-33 * time.Second).Format(time.RFC3339Nano)},
		},
		Parked: []view.Parked{},
	}}
	e := newEnv(t, func(c *console.Config) { c.Floor = floor })
	c := e.admin()
	c.MustCall("queue.put", map[string]any{"id": "sales", "name": "Sales"}, nil)
	c.MustCall("queue.put", map[string]any{"id": "support", "name": "Support", "sl_seconds": 30}, nil)
	add := func(id, queue, outcome string, started time.Time, wait, talk float64) {
		t.Helper()
		if err := e.store.AppendRecord(t.Context(), store.CallRecord{Call: id, Queue: queue, Kind: "queue", Direction: "inbound",
			From: "+1555", To: "5000", StartedAt: started, EndedAt: started.Add(time.Minute), WaitSeconds: wait, TalkSeconds: talk,
			Outcome: outcome}); err != nil {
			t.Fatal(err)
		}
	}
	recent := now.Add(-2 * time.Second)
	add("c1", "sales", "answered:agent_hangup", recent, 4, 60)
	add("c2", "sales", "answered:caller_hangup", recent, 25, 30)
	add("c3", "sales", "remote hangup", recent, 10, 0)
	add("c4", "sales", "canceled", recent, 2, 0) // short abandon
	add("c5", "support", "answered:agent_hangup", recent, 25, 40)
	add("old", "sales", "answered:agent_hangup", now.Add(-48*time.Hour), 1, 1) // before today

	var raw map[string]json.RawMessage
	c.MustCall("stats", map[string]any{}, &raw)
	var keys struct {
		Queues []map[string]any `json:"queues"`
		Agents map[string]any   `json:"agents"`
		Calls  map[string]any   `json:"calls"`
	}
	b, _ := json.Marshal(raw)
	if err := json.Unmarshal(b, &keys); err != nil || len(raw) != 3 || len(keys.Queues) != 2 {
		t.Fatalf("stats = %s (%v)", b, err)
	}
	wantSales := map[string]any{"id": "sales", "name": "Sales", "waiting": 1.0, "longest_wait_seconds": 33.5,
		"offered": 6.0, "answered": 3.0, "abandoned": 1.0, "answered_within_sl": 2.0, "service_level": 0.5,
		"avg_wait_seconds": 13.0, "avg_talk_seconds": 45.0, "sl_seconds": 20.0}
	if !reflect.DeepEqual(keys.Queues[0], wantSales) {
		t.Errorf("sales = %v\nwant    %v", keys.Queues[0], wantSales)
	}
	if q := keys.Queues[1]; q["id"] != "support" || q["answered_within_sl"] != 1.0 || q["service_level"] != 1.0 || q["sl_seconds"] != 30.0 {
		t.Errorf("support = %v", q)
	}
	wantAgents := map[string]any{"by_activity": map[string]any{"available": 1.0, "break": 1.0}, "on_call": 1.0, "in_wrapup": 1.0}
	if !reflect.DeepEqual(keys.Agents, wantAgents) {
		t.Errorf("agents = %v", keys.Agents)
	}
	wantCalls := map[string]any{"active": 1.0, "held": 0.0, "parked": 0.0, "waiting": 1.0}
	if !reflect.DeepEqual(keys.Calls, wantCalls) {
		t.Errorf("calls = %v", keys.Calls)
	}

	// since reaches back to the old record.
	c.MustCall("stats", map[string]any{"since": now.Add(-72 * time.Hour).Format(time.RFC3339)}, &keys)
	if keys.Queues[0]["offered"] != 7.0 || keys.Queues[0]["answered"] != 4.0 {
		t.Errorf("since 3 days: %v", keys.Queues[0])
	}
	wantErr(t, c, "stats", map[string]any{"since": "today"}, ws.CodeInvalidParams, "since: must be an RFC 3339 time")
}
