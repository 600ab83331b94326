package storetest

import (
	"reflect"
	"testing"
	"time"

	"switchboard/store"
)

// A record's park_seconds (PROTOCOL §11) and recorded parts (§12)
// survive a reopen; an unparked, unrecorded record has none.
func RecordParkAndRecordings(t *testing.T, be Backend) {
	name := be.Fresh(t)
	s := be.Open(t, name)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	parts := []store.RecordingRef{{ID: "rec-00000000000000000001", Agent: "a1", Seconds: 12.34}, {ID: "rec-00000000000000000002", Agent: "a2", Seconds: 5}}
	r := store.CallRecord{Call: "r1", Agent: "a2", Kind: "queue", Direction: "inbound", StartedAt: t0, EndedAt: t0.Add(time.Minute),
		TalkSeconds: 20, ParkSeconds: 12.5, Outcome: "answered:hangup", Recording: &parts[1], Recordings: parts}
	plain := store.CallRecord{Call: "r2", Kind: "queue", Direction: "inbound", StartedAt: t0.Add(time.Second), EndedAt: t0.Add(time.Minute)}
	for _, rec := range []store.CallRecord{r, plain} {
		if err := s.AppendRecord(t.Context(), rec); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.Close()
	s = be.Open(t, name)
	got, err := s.ListRecords(t.Context(), store.RecordFilter{})
	if err != nil || len(got) != 2 {
		t.Fatalf("ListRecords = %d, %v", len(got), err)
	}
	if got[0].ParkSeconds != 12.5 || got[1].ParkSeconds != 0 {
		t.Errorf("park_seconds %v and %v, want 12.5 and 0", got[0].ParkSeconds, got[1].ParkSeconds)
	}
	if got[0].Recording == nil || *got[0].Recording != parts[1] || !reflect.DeepEqual(got[0].Recordings, parts) {
		t.Errorf("recorded: recording %+v, recordings %+v; want %+v, %+v", got[0].Recording, got[0].Recordings, parts[1], parts)
	}
	if got[1].Recording != nil || got[1].Recordings != nil {
		t.Errorf("unrecorded: recording %+v, recordings %+v; want none", got[1].Recording, got[1].Recordings)
	}
}
