// Package events defines the floor events of PROTOCOL.md section 6
// (task.*, reservation.*, call.*, agent.*, config.changed) as one flat
// struct, and (in hub.go) a fan-out hub that hands them to subscribers with
// bounded queues.
//
// Producers (the agent orchestrator, translating router events and call
// changes) call Publish; consumers (the admin console's subscribe, the event
// and call-record store) subscribe. Publishing never blocks on a slow
// ordinary consumer (it is dropped); a lossless one (the journal) makes
// Publish wait for room instead, so it sees every event.
package events
