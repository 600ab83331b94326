package sqlite_test

import (
	"encoding/json"
	"testing"
	"time"

	"switchboard/store"
)

// TestRecordQuality: a call record's quality (PROTOCOL §9) is stored and
// listed back as the same JSON; a record without one has none.
func TestRecordQuality(t *testing.T) {
	s := open(t, t.TempDir())
	ctx := t.Context()
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	q := map[string]any{"caller": map[string]any{"packets": 950.0, "lost": 50.0, "loss_percent": 5.0, "jitter_ms": 1.5, "mos": 3.87},
		"agent": map[string]any{"packets": 1000.0, "lost": 0.0, "loss_percent": 0.0, "jitter_ms": 0.5, "rtt_ms": 2.25, "mos": 4.39}}
	for i, rq := range []any{q, nil} {
		r := store.CallRecord{Call: []string{"with", "without"}[i], Kind: "queue", Direction: "inbound",
			StartedAt: t0.Add(time.Duration(i) * time.Minute), EndedAt: t0.Add(time.Duration(i)*time.Minute + time.Second), Quality: rq}
		if err := s.AppendRecord(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := s.ListRecords(ctx, store.RecordFilter{})
	if err != nil || len(rs) != 2 {
		t.Fatalf("ListRecords = %v, %v", rs, err)
	}
	var got map[string]any
	raw, _ := json.Marshal(rs[0].Quality)
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("quality %s: %v", raw, err)
	}
	want, _ := json.Marshal(q)
	if gotJSON, _ := json.Marshal(got); string(gotJSON) != string(want) {
		t.Errorf("quality %s, want %s", gotJSON, want)
	}
	if rs[1].Quality != nil {
		t.Errorf("record without quality lists %v", rs[1].Quality)
	}
	out, err := json.Marshal(rs[1])
	var m map[string]any
	if err != nil || json.Unmarshal(out, &m) != nil {
		t.Fatalf("record without quality: %s, %v", out, err)
	}
	if _, ok := m["quality"]; ok {
		t.Errorf("record without quality marshals one: %s", out)
	}
	// Survives a reopen (migration 9 applied once).
	dir := t.TempDir()
	s2 := open(t, dir)
	if err := s2.AppendRecord(ctx, store.CallRecord{Call: "c", Kind: "queue", Direction: "inbound", StartedAt: t0, EndedAt: t0, Quality: q}); err != nil {
		t.Fatal(err)
	}
	_ = s2.Close()
	rs, err = open(t, dir).ListRecords(ctx, store.RecordFilter{})
	if err != nil || len(rs) != 1 || rs[0].Quality == nil {
		t.Fatalf("after reopen: %v, %v", rs, err)
	}
}
