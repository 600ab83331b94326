package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers driver "sqlite" (pure Go)
)

// FileName is the database file inside the data directory.
const FileName = "switchboard.db"

// migrations are the schema steps, in order; migrations[i] brings the
// schema from version i to i+1. Never edit a released step: append one.
var migrations = []string{
	// 1: configuration, token, history.
	`CREATE TABLE agents (
		id            TEXT PRIMARY KEY,
		name          TEXT NOT NULL,
		extension     TEXT NOT NULL UNIQUE,
		capacity      INTEGER NOT NULL,
		password_hash TEXT NOT NULL DEFAULT ''
	);
	CREATE TABLE queues (
		id                TEXT PRIMARY KEY,
		name              TEXT NOT NULL,
		timeout_seconds   INTEGER NOT NULL,
		wrapup_seconds    INTEGER NOT NULL,
		allow_busy_agents INTEGER NOT NULL,
		priority          INTEGER NOT NULL
	);
	CREATE TABLE agent_queues (
		agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
		queue_id TEXT NOT NULL REFERENCES queues(id),
		pos      INTEGER NOT NULL,
		PRIMARY KEY (agent_id, queue_id)
	);
	CREATE INDEX agent_queues_queue ON agent_queues(queue_id);
	CREATE TABLE routes (
		number TEXT PRIMARY KEY,
		target TEXT NOT NULL
	);
	CREATE TABLE settings (
		key   TEXT PRIMARY KEY,
		value TEXT NOT NULL
	);
	CREATE TABLE events (
		id    INTEGER PRIMARY KEY AUTOINCREMENT,
		type  TEXT NOT NULL,
		at    TEXT NOT NULL,
		agent TEXT NOT NULL,
		queue TEXT NOT NULL,
		body  TEXT NOT NULL
	);
	CREATE INDEX events_at ON events(at);
	CREATE TABLE call_records (
		id           INTEGER PRIMARY KEY AUTOINCREMENT,
		call         TEXT NOT NULL,
		agent        TEXT NOT NULL,
		queue        TEXT NOT NULL,
		kind         TEXT NOT NULL,
		direction    TEXT NOT NULL,
		from_number  TEXT NOT NULL,
		to_number    TEXT NOT NULL,
		started_at   TEXT NOT NULL,
		ended_at     TEXT NOT NULL,
		wait_seconds REAL NOT NULL,
		ring_seconds REAL NOT NULL,
		talk_seconds REAL NOT NULL,
		hold_seconds REAL NOT NULL,
		outcome      TEXT NOT NULL
	);
	CREATE INDEX call_records_started ON call_records(started_at);`,
	// 2: a queue's longest wait before the caller gets the announcement.
	`ALTER TABLE queues ADD COLUMN max_wait_seconds INTEGER NOT NULL DEFAULT 900;`,
	// 3: trunks (PROTOCOL §9) and agents' caller IDs (trunk_sqlite.go).
	migrationTrunks,
	// 4: agents' and queues' routing v2 fields (routing_sqlite.go).
	migrationRouting,
	// 5: workflows (workflow_sqlite.go).
	migrationWorkflows,
	// 6: custom activities (activity.go).
	migrationActivities,
	// 7: time a call spent parked (PROTOCOL §11).
	`ALTER TABLE call_records ADD COLUMN park_seconds REAL NOT NULL DEFAULT 0;`,
	// 8: voicemail metadata (voicemail.go; the audio is in files under -data).
	migrationVoicemail,
	// 9: a call record's quality per party (PROTOCOL §9), as JSON (quality.go).
	`ALTER TABLE call_records ADD COLUMN quality TEXT NOT NULL DEFAULT '';`,
	// 10: a record's channel (PROTOCOL §10: task records beside call records).
	`ALTER TABLE call_records ADD COLUMN channel TEXT NOT NULL DEFAULT 'voice';`,
	// 11: IVR menus (menu_sqlite.go, PROTOCOL §10).
	migrationMenus,
	// 12: a call record's recorded parts (PROTOCOL §12), as JSON (recording.go).
	`ALTER TABLE call_records ADD COLUMN recordings TEXT NOT NULL DEFAULT '';`,
	// 13: the node that published an event (PROTOCOL §13: seq increases per
	// node in a journal that several nodes share).
	`ALTER TABLE events ADD COLUMN node TEXT NOT NULL DEFAULT '';
	CREATE INDEX events_node ON events(node, id);`,
}

// SQLite is the embedded Store. Create it with Open.
type SQLite struct {
	db      *sql.DB
	log     *slog.Logger
	path    string
	dialect Dialect

	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if needed) the database in dir, which is created if
// missing, and applies pending migrations. logger nil means slog.Default().
func Open(ctx context.Context, dir string, logger *slog.Logger) (*SQLite, error) {
	if logger == nil {
		logger = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	path := filepath.Join(dir, FileName)
	if err := checkDBFile(ctx, path); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// One connection: every operation is serialized (see doc.go), and the
	// pragmas above apply to the only connection there is.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	s := &SQLite{db: db, log: logger, path: path}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close() // the migration error is the one returned
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// OpenDB runs this package's SQL on another engine (store/postgres): db
// is that engine's database/sql handle, already rewriting ? placeholders
// for it, and d says how its SQL differs. It applies pending migrations
// (translated by d.Schema) and takes ownership of db (Close closes it).
func OpenDB(ctx context.Context, db *sql.DB, d Dialect, logger *slog.Logger) (*SQLite, error) {
	if logger == nil {
		logger = slog.Default()
	}
	if d.Name == "" || d.Schema == nil || d.LastSeq == "" {
		return nil, errors.New("open store: dialect needs Name, Schema and LastSeq")
	}
	s := &SQLite{db: db, log: logger, dialect: d}
	if err := s.migrate(ctx); err != nil {
		return nil, fmt.Errorf("open store (%s): %w", d.Name, err)
	}
	return s, nil
}

// Path returns the database file.
func (s *SQLite) Path() string { return s.path }

// SchemaVersion returns the schema version in use.
func (s *SQLite) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
	return v, err
}

func (s *SQLite) migrate(ctx context.Context) error {
	if s.dialect.Name == "" {
		var mode string
		if err := s.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
			return fmt.Errorf("journal mode: %w", err)
		}
		if mode != "wal" {
			return fmt.Errorf("journal mode is %q, want wal", mode)
		}
	}
	err := s.tx(ctx, func(tx *sql.Tx) error { // in the write lock: nodes starting together create it once
		_, err := tx.ExecContext(ctx, s.schema(`CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`))
		return err
	})
	if err != nil {
		return fmt.Errorf("schema_version: %w", err)
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var v int
		switch err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v); {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		if v > len(migrations) {
			return fmt.Errorf("database schema version %d is newer than this program's %d", v, len(migrations))
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.applyMigrations(ctx)
}

// applyMigrations runs every pending step, each in its own transaction
// with its version bump.
func (s *SQLite) applyMigrations(ctx context.Context) error {
	for {
		done := false
		err := s.tx(ctx, func(tx *sql.Tx) error {
			var v int
			if err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v); err != nil {
				return err
			}
			if v >= len(migrations) {
				done = true
				return nil
			}
			if _, err := tx.ExecContext(ctx, s.schema(migrations[v])); err != nil {
				return fmt.Errorf("migration %d: %w", v+1, err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, v+1); err != nil {
				return err
			}
			s.log.Info("store schema migrated", "version", v+1)
			return nil
		})
		if err != nil || done {
			return err
		}
	}
}

// tx runs fn in one transaction (BEGIN IMMEDIATE; on another engine
// after the dialect's LockTx) and commits it.
func (s *SQLite) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if s.dialect.LockTx != "" {
		if _, err := tx.ExecContext(ctx, s.dialect.LockTx); err != nil {
			_ = tx.Rollback() // the lock error is the one returned; database/sql discards a connection whose rollback fails
			return fmt.Errorf("begin: write lock: %w", err)
		}
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // fn's error is the one returned (as above)
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Close closes the database. Idempotent.
func (s *SQLite) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.db.Close() })
	return s.closeErr
}

// timeLayout stores times as fixed-width UTC text, so text order is time
// order.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatDBTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseDBTime(s string) (time.Time, error) { return time.Parse(timeLayout, s) }
