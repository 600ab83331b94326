// Package store persists Switchboard's configuration (agents, queues,
// routes, the admin token) and its history (floor events, one record per
// call). Store is the interface consumers use; SQLite, on the pure-Go
// modernc.org/sqlite driver, is the embedded default: one file,
// <dir>/switchboard.db, no server.
//
// Durability: the database runs in WAL mode with synchronous=FULL, so a
// write is on disk when its method returns; a crash or kill -9 at any
// moment leaves either the previous or the new configuration, never a mix.
// Every write is one transaction. The schema is versioned (table
// schema_version) and upgraded at Open by ordered migrations, each applied
// in its own transaction together with its version bump.
//
// Validation happens in the store, inside the write's transaction, so
// rules that need the database (unique extensions, existing queues, queues
// still in use) cannot race: invalid input returns a *ValidationError
// naming the field. Missing objects return an error wrapping ErrNotFound.
//
// Passwords are stored as bcrypt hashes and never leave the package except
// as Agent.PasswordHash, which is not marshalled to JSON. The admin token
// is stored as a SHA-256 hash; it is returned once, when generated.
//
// Open refuses (ErrNotOurDatabase) a database file that is empty, not
// SQLite, or another program's, without touching it. RunJournal is the
// batched event writer (one transaction per batch, a retention bound).
//
// What it does not do: it holds no live state (who is logged in, calls in
// progress) and makes no routing decision; it does not publish events.
//
// Concurrency: all methods are safe for concurrent use. SQLite uses a
// single connection, so every operation (and every transaction) is
// serialized: concurrent edits of one agent each see the previous one's
// result, and each returns the row it wrote (no lost update).
package store
