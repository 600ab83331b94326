package sqlite

// Dialect says how another engine's SQL differs from SQLite's, for OpenDB.
// The zero Dialect is SQLite itself. Statements in this package are
// written once, with ? placeholders and portable SQL (ON CONFLICT …
// excluded, ||, LIMIT); the engine's database/sql connection rewrites the
// placeholders, and the few statements that cannot be portable come from
// here. New SQL in this package must run on both engines: the contract
// tests (store/storetest) run against both.
type Dialect struct {
	Name string // e.g. "postgres"; "" is SQLite
	// Schema translates a migration (or any DDL) written for SQLite.
	Schema func(ddl string) string
	// LockTx runs first in every write transaction. It serializes the
	// writers of every process sharing the database, as SQLite's BEGIN
	// IMMEDIATE does, so validation inside a transaction cannot race.
	LockTx string
	// LastSeq returns the seq of the last event persisted by the node given
	// as its one parameter (one row, or none).
	LastSeq string
}

// lastSeqSQLite is LastEventSeq's query on SQLite.
const lastSeqSQLite = `SELECT json_extract(body, '$.seq') FROM events WHERE node = ? ORDER BY id DESC LIMIT 1`

func (s *SQLite) schema(ddl string) string {
	if s.dialect.Schema == nil {
		return ddl
	}
	return s.dialect.Schema(ddl)
}

func (s *SQLite) lastSeqQuery() string {
	if s.dialect.LastSeq == "" {
		return lastSeqSQLite
	}
	return s.dialect.LastSeq
}
