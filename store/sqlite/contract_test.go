package sqlite_test

import (
	"testing"

	"switchboard/events"
	"switchboard/store/sqlite"
	"switchboard/store/storetest"
)

// sqliteBackend runs the store contract on SQLite: a database is a
// directory.
var sqliteBackend = storetest.Backend{
	Fresh: func(tb testing.TB) string { return tb.TempDir() },
	Open:  func(tb testing.TB, dir string) storetest.Store { return open(tb, dir) },
	Events: func(tb testing.TB, s storetest.Store, _ string) []events.Event {
		all, err := sqlite.EventsForTest(s.(*sqlite.SQLite))
		if err != nil {
			tb.Fatal(err)
		}
		return all
	},
}

func TestContract(t *testing.T) { storetest.Run(t, sqliteBackend) }

func BenchmarkStore(b *testing.B) { storetest.Bench(b, sqliteBackend) }
