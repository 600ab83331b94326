package storetest

import (
	"testing"
	"time"

	"switchboard/store"
)

// Task records (PROTOCOL §10) are kept beside call records: each record
// keeps its channel, a record written without one is a call ("voice"),
// and RecordFilter.Channel selects one channel together with the other
// filters.
func TaskRecords(t *testing.T, be Backend) {
	s := be.Open(t, be.Fresh(t))
	ctx := t.Context()
	t0 := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	recs := []store.CallRecord{
		{Call: "c1", Agent: "ann", Queue: "sales", Kind: "queue", Direction: "inbound", Outcome: "answered"},
		{Call: "t1", Agent: "ann", Queue: "sales", Kind: "task", Direction: "inbound", Outcome: "completed", Channel: "chat"},
		{Call: "t2", Agent: "bob", Queue: "support", Kind: "task", Direction: "inbound", Outcome: "canceled", Channel: "email"},
		{Call: "c2", Agent: "bob", Queue: "sales", Kind: "queue", Direction: "inbound", Outcome: "answered", Channel: "voice"},
		{Call: "t3", Agent: "bob", Queue: "sales", Kind: "task", Direction: "inbound", Outcome: "completed", Channel: "chat"},
	}
	for i, r := range recs {
		r.StartedAt = t0.Add(time.Duration(i) * time.Minute)
		r.EndedAt = r.StartedAt.Add(30 * time.Second)
		if err := s.AppendRecord(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	list := func(f store.RecordFilter) string {
		t.Helper()
		rs, err := s.ListRecords(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		out := ""
		for _, r := range rs {
			out += r.Call + ":" + r.Channel + " "
		}
		return out
	}
	for _, tt := range []struct {
		name string
		f    store.RecordFilter
		want string
	}{
		{"all", store.RecordFilter{}, "c1:voice t1:chat t2:email c2:voice t3:chat "},
		{"voice", store.RecordFilter{Channel: "voice"}, "c1:voice c2:voice "},
		{"chat", store.RecordFilter{Channel: "chat"}, "t1:chat t3:chat "},
		{"chat of bob", store.RecordFilter{Channel: "chat", Agent: "bob"}, "t3:chat "},
		{"email in support", store.RecordFilter{Channel: "email", Queue: "support"}, "t2:email "},
		{"chat since", store.RecordFilter{Channel: "chat", Since: t0.Add(2 * time.Minute)}, "t3:chat "},
		{"none", store.RecordFilter{Channel: "sms"}, ""},
	} {
		if got := list(tt.f); got != tt.want {
			t.Errorf("%s: ListRecords(%+v) = %q, want %q", tt.name, tt.f, got, tt.want)
		}
	}
}
