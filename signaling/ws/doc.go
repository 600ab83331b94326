// Package ws serves JSON-RPC 2.0 over websockets (gorilla/websocket lives
// only here). It is generic: the application supplies, per connection, a
// Session whose Handle method answers requests; ws does the framing, the
// error codes, origin checks, size limits, keepalive and back-pressure.
// Both /ws/admin (signaling/console) and /ws/agent build on it.
//
// Wire format (PROTOCOL.md section 4): one JSON object per text message.
// Requests carry "id" and get exactly one response with "result" or
// "error" {code, message, data: {reason}}; requests without "id" are
// notifications and get no answer. Batches (JSON arrays) are refused with
// -32600. Server-to-client notifications carry "method" and "params".
//
// Error codes: -32700 parse error, -32600 invalid request, -32601 unknown
// method, -32602 invalid params (data.reason names the field), -32603
// internal error, and the application codes CodeUnauthorized (-32001),
// CodeNotFound (-32002) and CodeConflict (-32003).
//
// What it does not do: it knows no method names, no authentication scheme
// (see Gate for the "first request must be X" rule) and no business state.
//
// Concurrency contract, per connection (STYLE.md §3.3):
//   - one reader goroutine (the HTTP handler's own) reads, decodes and calls
//     Session.Handle for each request, in order, one at a time; a handler
//     that blocks delays only its own connection's later requests;
//   - one writer goroutine is the only writer, fed by a bounded queue of
//     Config.SendQueue messages. Responses and Conn.Notify enqueue without
//     blocking; when the queue is full the connection is closed (a slow
//     reader never blocks the gateway);
//   - the writer sends a ping every Config.PingInterval; a peer that sends
//     nothing (not even a pong) for 2×PingInterval is disconnected;
//   - messages larger than Config.MaxMessage close the connection with
//     status 1009 (message too big);
//   - requests whose Origin header is not allowed get 403 before upgrade;
//   - with Config.Admission, a connection holds an "unauthenticated" slot
//     from the upgrade until its Gate lets the first request through; over
//     the cap the upgrade is refused with 503 (PROTOCOL §14);
//   - with Config.LoginTimeout, a connection that has not sent its Gate's
//     method by then is closed with 1008 "login timeout".
//
// Conn methods are safe for concurrent use. Handler.Close closes every
// connection and waits until each one's goroutines have exited and its
// Session has been told (Closer) — suitable for
// http.Server.RegisterOnShutdown.
package ws
