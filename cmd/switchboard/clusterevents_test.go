package main

import (
	"testing"

	"switchboard/events"
)

// relayed: another node's events reach this node's consoles, except the
// ones every node publishes for itself; this node's own (the feed brings
// them back) and unstamped ones never.
func TestRelayedEvents(t *testing.T) {
	for _, c := range []struct {
		e    events.Event
		want bool
	}{
		{events.Event{Node: "n3", Seq: 7, Type: events.AgentActivity}, true},
		{events.Event{Node: "n3", Seq: 8, Type: events.CallEnded, Detail: map[string]any{"x": 1}}, true},
		{events.Event{Node: "n1", Seq: 9, Type: events.AgentActivity}, false},                                         // our own
		{events.Event{Seq: 9, Type: events.AgentActivity}, false},                                                     // no node
		{events.Event{Node: "n3", Seq: 10, Type: events.ConfigChanged}, false},                                        // n1 publishes its own
		{events.Event{Node: "n3", Seq: 11, Type: events.CallEnded, Detail: map[string]any{lostNodeKey: "n2"}}, false}, // every survivor reports it
		{events.Event{Node: "n3", Seq: 12, Type: events.CallEnded, Detail: map[string]any{lostNodeKey: "n3"}}, true},  // n3's last run's call: only n3 reports it
	} {
		if got := relayed(c.e, "n1"); got != c.want {
			t.Errorf("relayed(%+v) on n1 = %v, want %v", c.e, got, c.want)
		}
	}
}
