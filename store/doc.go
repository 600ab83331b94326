// Package store persists Switchboard's configuration (agents, queues,
// routes, the admin token) and its history (floor events, one record per
// call): the types, their validation that needs no database, and the
// interfaces consumers use (Store, ActivityStore, WorkflowStore,
// TrunkStore, VoicemailStore, JournalStore). It links no database driver:
// the embedded SQLite implementation is package store/sqlite.
//
// Contract for implementations (store/sqlite is the one): a write is
// durable when its method returns and is one transaction; validation that
// needs the database happens inside it, so it cannot race: invalid input
// returns a *ValidationError naming the field (Invalid makes one), missing
// objects an error wrapping ErrNotFound. Passwords are stored as bcrypt
// hashes (HashPassword) and never leave except as Agent.PasswordHash, which
// is not marshalled to JSON. RunJournal is the batched event writer over a
// JournalStore (one transaction per batch, a retention bound).
//
// What it does not do: it holds no live state (who is logged in, calls in
// progress) and makes no routing decision; it does not publish events.
//
// Concurrency: implementations are safe for concurrent use; concurrent
// edits of one agent each see the previous one's result, and each returns
// the row it wrote (no lost update).
package store
