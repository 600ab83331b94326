package storetest

import (
	"testing"
	"time"

	"switchboard/store"
)

// A record's park_seconds (PROTOCOL §11) is stored and read back.
func RecordParkSeconds(t *testing.T, be Backend) {
	dir := be.Fresh(t)
	s := be.Open(t, dir)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := store.CallRecord{Call: "p1", Kind: "queue", Direction: "inbound", From: "+1555", To: "5000",
		StartedAt: t0, EndedAt: t0.Add(time.Minute), TalkSeconds: 20, ParkSeconds: 12.5, Outcome: "caller_hangup"}
	if err := s.AppendRecord(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListRecords(t.Context(), store.RecordFilter{})
	if err != nil || len(got) != 1 || got[0].ParkSeconds != 12.5 {
		t.Fatalf("records = %+v, %v, want park_seconds 12.5", got, err)
	}
}
