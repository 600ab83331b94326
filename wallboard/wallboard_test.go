package wallboard_test

import (
	"reflect"
	"testing"
	"time"

	"switchboard/store"
	"switchboard/view"
	"switchboard/wallboard"
)

var since = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)

func rec(id, outcome string, wait, talk float64) store.CallRecord {
	return store.CallRecord{Call: id, Queue: "q", Kind: "queue", StartedAt: since.Add(time.Hour), Outcome: outcome,
		WaitSeconds: wait, TalkSeconds: talk}
}

func at(d time.Duration) string { return since.Add(d).Format(time.RFC3339Nano) }

// TestQueueCounts: one row per rule of the contract, each on its own.
func TestQueueCounts(t *testing.T) {
	early := rec("e", "answered:agent_hangup", 1, 10)
	early.StartedAt = since.Add(-time.Second)
	other := rec("o", "answered:agent_hangup", 1, 10)
	other.Queue = "elsewhere"
	for _, tc := range []struct {
		name    string
		sl      int
		records []store.CallRecord
		live    []view.Call
		want    wallboard.QueueStats // ID, Name, SLSeconds filled in
	}{
		{name: "nothing", want: wallboard.QueueStats{ServiceLevel: 1}},
		{name: "answered within sl", records: []store.CallRecord{rec("a", "answered:agent_hangup", 3, 40)},
			want: wallboard.QueueStats{Offered: 1, Answered: 1, AnsweredWithinSL: 1, ServiceLevel: 1, AvgWaitSeconds: 3, AvgTalkSeconds: 40}},
		{name: "answered exactly at sl", records: []store.CallRecord{rec("a", "answered:caller_hangup", 20, 10)},
			want: wallboard.QueueStats{Offered: 1, Answered: 1, AnsweredWithinSL: 1, ServiceLevel: 1, AvgWaitSeconds: 20, AvgTalkSeconds: 10}},
		{name: "answered after sl", records: []store.CallRecord{rec("a", "answered:caller_hangup", 20.5, 10)},
			want: wallboard.QueueStats{Offered: 1, Answered: 1, ServiceLevel: 0, AvgWaitSeconds: 20.5, AvgTalkSeconds: 10}},
		{name: "sl_seconds of the queue", sl: 30, records: []store.CallRecord{rec("a", "answered:caller_hangup", 25, 10)},
			want: wallboard.QueueStats{Offered: 1, Answered: 1, AnsweredWithinSL: 1, ServiceLevel: 1, AvgWaitSeconds: 25, AvgTalkSeconds: 10}},
		{name: "abandoned remote hangup", records: []store.CallRecord{rec("a", "remote hangup", 12, 0)},
			want: wallboard.QueueStats{Offered: 1, Abandoned: 1, ServiceLevel: 0}},
		{name: "abandoned cancel", records: []store.CallRecord{rec("a", "canceled", 6, 0)},
			want: wallboard.QueueStats{Offered: 1, Abandoned: 1, ServiceLevel: 0}},
		{name: "abandoned caller_hangup at 5 s", records: []store.CallRecord{rec("a", "caller_hangup", 5, 0)},
			want: wallboard.QueueStats{Offered: 1, Abandoned: 1, ServiceLevel: 0}},
		{name: "abandoned rtp timeout", records: []store.CallRecord{rec("a", "rtp timeout", 9, 0)},
			want: wallboard.QueueStats{Offered: 1, Abandoned: 1, ServiceLevel: 0}},
		{name: "short abandon counts in neither", records: []store.CallRecord{rec("a", "remote hangup", 4.999, 0)},
			want: wallboard.QueueStats{Offered: 1, ServiceLevel: 1}},
		{name: "gateway ended: offered only", records: []store.CallRecord{rec("a", "fallback_queue_timeout", 60, 0),
			rec("b", "shutdown", 30, 0), rec("c", "admin_hangup", 30, 0)},
			want: wallboard.QueueStats{Offered: 3, ServiceLevel: 1}},
		{name: "before since, other queue: ignored", records: []store.CallRecord{early, other},
			want: wallboard.QueueStats{ServiceLevel: 1}},
		{name: "duplicate record counts once", records: []store.CallRecord{rec("a", "remote hangup", 8, 0), rec("a", "remote hangup", 8, 0)},
			want: wallboard.QueueStats{Offered: 1, Abandoned: 1, ServiceLevel: 0}},
		{name: "live answered", live: []view.Call{{ID: "l", State: "active", Queue: "q", StartedAt: at(time.Hour), AnsweredAt: at(time.Hour + 30*time.Second)}},
			want: wallboard.QueueStats{Offered: 1, Answered: 1, ServiceLevel: 0, AvgWaitSeconds: 30}},
		{name: "live waiting, live before since", live: []view.Call{{ID: "l", State: "waiting", Queue: "q", StartedAt: at(time.Hour)},
			{ID: "m", State: "active", Queue: "q", StartedAt: at(-time.Hour), AnsweredAt: at(-time.Minute)}},
			want: wallboard.QueueStats{Offered: 1, ServiceLevel: 1}},
		{name: "live and recorded counts as the record", records: []store.CallRecord{rec("a", "answered:agent_hangup", 2, 7)},
			live: []view.Call{{ID: "a", State: "active", Queue: "q", StartedAt: at(time.Hour), AnsweredAt: at(time.Hour + time.Minute)}},
			want: wallboard.QueueStats{Offered: 1, Answered: 1, AnsweredWithinSL: 1, ServiceLevel: 1, AvgWaitSeconds: 2, AvgTalkSeconds: 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := wallboard.Compute(wallboard.Input{Since: since, Queues: []wallboard.Queue{{ID: "q", Name: "Q", SLSeconds: tc.sl}},
				Records: tc.records, Live: view.Floor{Calls: tc.live}})
			want := tc.want
			want.ID, want.Name, want.SLSeconds = "q", "Q", max(tc.sl, 20)
			if len(got.Queues) != 1 || got.Queues[0] != want {
				t.Errorf("got %+v\nwant %+v", got.Queues, want)
			}
		})
	}
}

// TestScriptedFloor: a floor of answered, abandoned and short-abandoned
// calls in two queues, with live agents and calls.
func TestScriptedFloor(t *testing.T) {
	sales := func(r store.CallRecord) store.CallRecord { r.Queue = "sales"; return r }
	records := []store.CallRecord{
		sales(rec("c1", "answered:agent_hangup", 5, 60)),   // within 20 s
		sales(rec("c2", "answered:caller_hangup", 20, 30)), // within (at the limit)
		sales(rec("c3", "answered:agent_hangup", 25, 90)),  // late
		sales(rec("c4", "remote hangup", 12, 0)),           // abandoned
		sales(rec("c5", "canceled", 3, 0)),                 // short abandon: neither
		sales(rec("c6", "caller_hangup", 5, 0)),            // abandoned (5 s is not "within 5 s")
		sales(rec("c7", "fallback_queue_timeout", 60, 0)),  // offered only
	}
	live := view.Floor{
		Queues: []view.Queue{{ID: "sales", Waiting: 1, LongestWaitSecs: 14.25}, {ID: "support", Waiting: 2, LongestWaitSecs: 41.5}},
		Agents: []view.FloorAgent{
			{Agent: view.Agent{ID: "a1", Activity: "available"}},
			{Agent: view.Agent{ID: "a2", Activity: "available"}, Calls: []view.Call{{ID: "L1", State: "active", Queue: "sales", StartedAt: at(2 * time.Hour), AnsweredAt: at(2*time.Hour + 8*time.Second)}}},
			{Agent: view.Agent{ID: "a3", Activity: "break", Wrapup: true}},
			{Agent: view.Agent{ID: "a4", Activity: "available"}, Calls: []view.Call{{ID: "L4", State: "held", StartedAt: at(time.Hour)}, {ID: "L5", State: "ringing", StartedAt: at(time.Hour)}}},
			{Agent: view.Agent{ID: "a5", Activity: "offline"}, Calls: []view.Call{{ID: "L6", State: "ringing", Queue: "support", StartedAt: at(time.Hour)}}},
		},
		Calls: []view.Call{
			{ID: "L1", State: "active", Queue: "sales", StartedAt: at(2 * time.Hour), AnsweredAt: at(2*time.Hour + 8*time.Second)},
			{ID: "L2", State: "waiting", Queue: "sales", StartedAt: at(3 * time.Hour)},
			{ID: "L3", State: "waiting", Queue: "support", StartedAt: at(3 * time.Hour)},
			{ID: "L7", State: "waiting", Queue: "support", StartedAt: at(3 * time.Hour)},
			{ID: "L8", State: "parked", StartedAt: at(time.Hour)},
		},
	}
	live.Parked = append(live.Parked, view.Parked{Call: "L8"})
	got := wallboard.Compute(wallboard.Input{Since: since, Records: records, Live: live,
		Queues: []wallboard.Queue{{ID: "sales", Name: "Sales"}, {ID: "support", Name: "Support", SLSeconds: 30}}})
	want := wallboard.Stats{
		Queues: []wallboard.QueueStats{
			// offered c1..c7, L1, L2; answered c1 c2 c3 L1; within c1 c2 L1; abandoned c4 c6.
			{ID: "sales", Name: "Sales", Waiting: 1, LongestWaitSeconds: 14.25, Offered: 9, Answered: 4, Abandoned: 2,
				AnsweredWithinSL: 3, ServiceLevel: 0.5, AvgWaitSeconds: 14.5, AvgTalkSeconds: 60, SLSeconds: 20},
			// offered L3, L7, L6 (ringing): nobody answered or abandoned yet.
			{ID: "support", Name: "Support", Waiting: 2, LongestWaitSeconds: 41.5, Offered: 3, ServiceLevel: 1, SLSeconds: 30},
		},
		Agents: wallboard.AgentStats{ByActivity: map[string]int{"available": 3, "break": 1, "offline": 1}, OnCall: 2, InWrapup: 1},
		Calls:  wallboard.CallStats{Active: 1, Held: 1, Parked: 1, Waiting: 3},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// On several nodes (PROTOCOL §13) call ids are per node: the whole
// floor's calls c1 of n1 and c1 of n2 are two calls, each counted once
// although its agent lists it too.
func TestCallsOfSeveralNodes(t *testing.T) {
	c1 := view.Call{ID: "c1", Node: "n1", State: "active", Queue: "sales", StartedAt: at(time.Hour), AnsweredAt: at(time.Hour + time.Second)}
	c2 := view.Call{ID: "c1", Node: "n2", State: "waiting", Queue: "sales", StartedAt: at(2 * time.Hour)}
	live := view.Floor{
		Agents: []view.FloorAgent{{Agent: view.Agent{ID: "x", Activity: "available"}, Node: "n1", Calls: []view.Call{c1}}},
		Calls:  []view.Call{c1, c2},
	}
	got := wallboard.Compute(wallboard.Input{Since: since, Live: live, Queues: []wallboard.Queue{{ID: "sales"}}})
	if q := got.Queues[0]; q.Offered != 2 || q.Answered != 1 {
		t.Errorf("sales: %+v, want 2 offered, 1 answered", q)
	}
	if got.Calls.Active != 1 || got.Calls.Waiting != 1 || got.Agents.OnCall != 1 {
		t.Errorf("calls %+v agents %+v", got.Calls, got.Agents)
	}
}
