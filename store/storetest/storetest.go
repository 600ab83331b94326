// Package storetest is the contract of the store interfaces as tests, run
// against every implementation (store/sqlite, store/postgres) so they
// behave alike: each implementation's own test calls Run with a Backend
// that makes and opens its databases. It holds no implementation and is
// imported only by tests.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"switchboard/events"
	"switchboard/store"
)

// Store is every store interface an implementation provides.
type Store interface {
	store.Store
	store.ActivityStore
	store.WorkflowStore
	store.MenuStore
	store.TrunkStore
	store.VoicemailStore
	store.JournalStore
	LastEventSeq(ctx context.Context, node string) (uint64, error)
}

// Backend is an implementation under test.
type Backend struct {
	// Fresh makes a new, empty database and returns its name (a
	// directory, a DSN) for Open.
	Fresh func(tb testing.TB) string
	// Open opens (migrating) the database name; the store is closed when
	// tb ends. Opening a name again after Close is a restart.
	Open func(tb testing.TB, name string) Store
	// Events returns every event persisted in s (database name), in
	// append order, read directly (ListEvents pages by time, and a burst
	// puts thousands in one millisecond).
	Events func(tb testing.TB, s Store, name string) []events.Event
}

var tests = []struct {
	name string
	f    func(*testing.T, Backend)
}{
	{"AgentQueueRouteCRUD", AgentQueueRouteCRUD},
	{"Validation", Validation},
	{"Passwords", Passwords},
	{"AdminToken", AdminToken},
	{"RecordsAndEvents", RecordsAndEvents},
	{"ConcurrentEditsSerialized", ConcurrentEditsSerialized},
	{"Journal", Journal},
	{"RoutingFields", RoutingFields},
	{"DeleteQueueUsedByWorkflow", DeleteQueueUsedByWorkflow},
	{"JournalBurstLosesNothing", JournalBurstLosesNothing},
	{"JournalDrainsOnStop", JournalDrainsOnStop},
	{"JournalRetention", JournalRetention},
	{"JournalPerNode", JournalPerNode},
	{"TrunkCRUDKeepsPasswordAndNeverMarshalsIt", TrunkCRUDKeepsPasswordAndNeverMarshalsIt},
	{"TrunkValidation", TrunkValidation},
	{"AgentCallerID", AgentCallerID},
	{"VoicemailStore", VoicemailStore},
	{"TaskRecords", TaskRecords},
	{"Menus", Menus},
	{"RecordParkAndRecordings", RecordParkAndRecordings},
}

// Run runs every contract test as a subtest of t.
func Run(t *testing.T, be Backend) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.f(t, be) })
	}
}

// putQueues puts a queue of each id, all else default, and fails tb on
// an error.
func putQueues(tb testing.TB, s Store, ids ...string) {
	tb.Helper()
	for _, id := range ids {
		if _, err := s.PutQueue(tb.Context(), store.Queue{ID: id}); err != nil {
			tb.Fatal(err)
		}
	}
}

// BumpName is an EditAgent edit for tests of serialized edits: it
// increments the counter N of a Name "n<N>" (no counter counts as 0), so
// an agent edited k times from "n0" is "n<k>" unless an edit was lost. It
// fails (errors.New "vanished") when the agent does not exist.
func BumpName(cur store.Agent, exists bool) (store.Agent, error) {
	if !exists {
		return cur, errors.New("vanished")
	}
	var n int
	fmt.Sscanf(cur.Name, "n%d", &n)
	cur.Name = fmt.Sprintf("n%d", n+1)
	return cur, nil
}

// Bench runs the store benchmarks as sub-benchmarks of b.
func Bench(b *testing.B, be Backend) {
	b.Run("PutAgent", func(b *testing.B) { BenchPutAgent(b, be) })
	b.Run("JournalWrite", func(b *testing.B) { BenchJournalWrite(b, be) })
}
