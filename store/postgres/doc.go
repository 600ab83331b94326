// Package postgres runs the store on PostgreSQL (PROTOCOL §13, -store
// postgres://…), so several gateway nodes share one configuration and one
// history. It is the SQL of package store/sqlite — the same statements,
// the same migrations (translated to PostgreSQL types by Schema), the same
// validation inside the write transaction — on the pure-Go pgx v5 driver
// (its database/sql adaptor, no cgo), so the two engines cannot drift
// apart: store/storetest's contract tests run against both.
//
// What differs from SQLite, and how:
//   - placeholders: the connection rewrites ? to $1, $2, … (outside quoted
//     text), and a bool argument is sent as 0/1 (the schema keeps SQLite's
//     integer booleans);
//   - types: INTEGER → BIGINT, REAL → DOUBLE PRECISION, AUTOINCREMENT →
//     an identity column, TEXT → TEXT COLLATE "C" (byte order, as in
//     SQLite, so sorted ids and fixed-width UTC time text compare alike);
//   - writers: every write transaction first takes one transaction-scoped
//     advisory lock (pg_advisory_xact_lock), so writes are serialized across
//     every node as SQLite's BEGIN IMMEDIATE serializes them in one process;
//     reads are not locked;
//   - durability: a write is durable when PostgreSQL commits it
//     (synchronous_commit as the server is configured; on by default).
//
// Concurrency: safe for concurrent use; a bounded pool (MaxConns) of
// connections.
package postgres
