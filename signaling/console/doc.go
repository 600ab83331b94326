// Package console serves the admin console, GET /ws/admin (PROTOCOL.md
// section 6): JSON-RPC 2.0 over package ws. The first request must be
// auth {token}; then agent.*, queue.*, route.* edit the configuration in
// the store, state and call.hangup reach the live floor, subscribe streams
// every hub event as "event" notifications, and records.list / events.list
// read history.
//
// Every write is validated and committed by the store in one transaction;
// validation failures answer -32602 with data.reason "field: why". After a
// successful write the console calls the Applier (so the router uses the
// change for its next decision) and publishes config.changed on the hub,
// with Detail {kind, id, op}.
//
// Added to PROTOCOL.md section 6: route.get {number} -> Route;
// records.list {since?, until?, agent?, queue?, limit?} -> [CallRecord];
// events.list {since?, until?, agent?, queue?, limit?} -> [Event]. Missing
// objects answer -32002 (not found); a bad or missing token -32001 and the
// socket closes.
//
// What it does not do: it keeps no live state (Floor does), makes no
// routing decision and does not persist events (whoever owns the hub runs
// store.Journal).
//
// Concurrency: requests of one connection run in order on its reader
// goroutine; connections run in parallel and the store serializes their
// writes. Applier and Floor are called from those goroutines, never with a
// console lock held. A subscription's forwarder goroutine is owned by the
// connection's session and waited for when the connection ends.
package console
