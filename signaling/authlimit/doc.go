// Package authlimit budgets password and token guesses (PROTOCOL.md §14,
// "Login limits"). A Limiter reserves an attempt BEFORE the credential is
// checked, so parallel connections cannot race past the budget: the
// reservation is spent if the check fails and refunded if it succeeds
// (only failures count, so a whole floor behind one NAT address can log
// in at once).
//
// Budgets are token buckets of failures per minute, kept per (subject,
// source address), per source address, and per subject over all sources;
// the last one only locks a subject out from everywhere when it is
// exhausted (more than Config.PerSubject failures in about a minute), so
// failures from other addresses do not lock out a subject logging in from
// an address that has not failed. A semaphore caps the checks running at
// once (bcrypt is CPU-bound); an attempt over it is refused as busy and
// costs no budget.
//
// Memory is bounded: each map holds at most Config.MaxKeys entries. When a
// map is full, entries whose bucket has refilled (they carry no
// information) are dropped; if none has, the fullest one is evicted. The
// map is never reset wholesale.
//
// What it does not do: it checks no credential itself and knows no wire
// protocol; callers translate ErrLimited and ErrBusy into their answer.
//
// Concurrency: all methods are safe for concurrent use; one mutex guards
// the buckets and is never held during a check.
package authlimit
