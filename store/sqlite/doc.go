// Package sqlite is the embedded implementation of the store interfaces
// (store.Store, ActivityStore, WorkflowStore, TrunkStore, VoicemailStore,
// JournalStore) on the pure-Go modernc.org/sqlite driver: one file,
// <dir>/switchboard.db, no server. cmd/switchboard constructs it (Open);
// the rest of the tree sees only package store's types and interfaces, so
// nothing but cmd and this package links SQLite.
//
// Durability: the database runs in WAL mode with synchronous=FULL, so a
// write is on disk when its method returns; a crash or kill -9 at any
// moment leaves either the previous or the new configuration, never a mix.
// Every write is one transaction. The schema is versioned (table
// schema_version) and upgraded at Open by ordered migrations, each applied
// in its own transaction together with its version bump.
//
// Validation happens here, inside the write's transaction, so rules that
// need the database (unique extensions, existing queues, queues still in
// use) cannot race; the checks that need no database are package store's.
//
// Passwords are stored as bcrypt hashes; the admin token as a SHA-256 hash,
// returned once, when generated. Open refuses (ErrNotOurDatabase) a
// database file that is empty, not SQLite, or another program's, without
// touching it.
//
// Concurrency: all methods are safe for concurrent use. SQLite uses a
// single connection, so every operation (and every transaction) is
// serialized.
package sqlite
