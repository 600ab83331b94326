package sqlite_test

import (
	"database/sql"
	"log/slog"
	"path/filepath"
	"testing"

	"switchboard/store"
	"switchboard/store/sqlite"
)

func open(t testing.TB, dir string) *sqlite.SQLite {
	t.Helper()
	s, err := sqlite.Open(t.Context(), dir, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestOpenMigratesAndReopens(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested") // created if missing
	s := open(t, dir)
	ctx := t.Context()
	v, err := s.SchemaVersion(ctx)
	if want := sqlite.MigrationCountForTest(); err != nil || v != want {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, want)
	}
	if _, err := s.PutQueue(ctx, store.Queue{ID: "sales"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
	s2 := open(t, dir) // reopen: no migration reapplied, data kept
	if v, err := s2.SchemaVersion(ctx); err != nil || v != sqlite.MigrationCountForTest() {
		t.Fatalf("SchemaVersion after reopen = %d, %v", v, err)
	}
	q, err := s2.GetQueue(ctx, "sales")
	if err != nil || q.TimeoutSeconds != store.DefaultTimeoutSeconds || q.Name != "sales" {
		t.Fatalf("GetQueue after reopen = %+v, %v", q, err)
	}
}

// TestMigrateFromVersion1 opens a database written by schema version 1 (no
// max_wait_seconds) and checks the upgrade keeps its queues with the default.
func TestMigrateFromVersion1(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "switchboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		sqlite.MigrationForTest(0),
		`CREATE TABLE schema_version (version INTEGER NOT NULL)`,
		`INSERT INTO schema_version (version) VALUES (1)`,
		`INSERT INTO queues (id, name, timeout_seconds, wrapup_seconds, allow_busy_agents, priority) VALUES ('old', 'Old', 20, 0, 0, 1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	s := open(t, dir)
	q, err := s.GetQueue(t.Context(), "old")
	if err != nil {
		t.Fatal(err)
	}
	want := store.Queue{ID: "old", Name: "Old", TimeoutSeconds: 20, Priority: 1, MaxWaitSeconds: store.DefaultMaxWaitSeconds,
		QueueRouting: store.QueueRouting{Order: "fifo", SLSeconds: store.DefaultSLSeconds}}
	if q != want {
		t.Errorf("GetQueue(old) after migration = %+v, want %+v", q, want)
	}
}
