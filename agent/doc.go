// Package agent is the gateway's orchestration core: it joins trunk calls,
// the router's decisions, the per-agent media switches and the agents'
// sessions into the call flows of PROTOCOL.md sections 2 to 6.
//
// It owns three kinds of state, all guarded by one mutex (Core.mu): the
// router (package router, pure policy), the agents (configuration, session,
// media switch, calls) and the calls. Every entry point takes the lock, tells
// the router the fact, drains the router's events and acts on them while
// still holding the lock, with these rules:
//   - under the lock it only does non-blocking work: router calls, media
//     switch state changes, websocket notifications (bounded, non-blocking
//     queues) and event publication;
//   - SIP transactions (answer, reject, BYE) and anything else that may block
//     run outside the lock, on goroutines owned by Core.wg or on the call's
//     own HandleCall goroutine.
//
// Time: the router's offer and wrap-up deadlines, the agents' reconnect
// grace periods and the queue calls' wait bounds (a queue's
// max_wait_seconds) are all handled by Advance, which Run calls when the
// earliest of them is due (one timer); tests call Advance with a fake
// clock (Config.Now).
//
// Lock order: Core.mu, then a media.Switch's own mutex. Nothing called under
// Core.mu calls back into Core.
//
// What it does not do: it speaks no SIP, WebRTC or websocket itself. Trunk
// calls (TrunkCall), browser legs (BrowserLeg, LegFactory) and session
// connections (Notifier) are small interfaces that cmd/switchboard adapts the
// concrete packages to, so this package never links sipgo, pion or gorilla.
package agent
