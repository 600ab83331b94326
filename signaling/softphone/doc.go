// Package softphone serves the agent websocket, GET /ws/agent (PROTOCOL.md
// section 4): JSON-RPC 2.0 methods login, webrtc.offer, activity.set,
// reservation.accept/reject, call.*, wrapup.done, on top of signaling/ws.
//
// The first request must be login; anything else before it is answered
// with an error and the socket closes. Password attempts are budgeted by
// signaling/authlimit (reserved before bcrypt; per (agent, address), per
// address, agent-wide above 100; NumCPU checks at once), and a socket that
// sends no login within LoginTimeout is closed. Every method maps onto the agent
// package's Core; notifications (agent.updated, reservation.created, ...)
// are sent by the Core through the connection it was given at login.
//
// Concurrency: one Session per connection; its Handle runs on the
// connection's reader goroutine, so one agent's requests are handled in
// order.
package softphone
