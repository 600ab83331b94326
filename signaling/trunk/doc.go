// Package trunk terminates the SIP trunk: it answers carriers' INVITEs over
// UDP and TCP on one address with emiago/sipgo (the only package that
// imports it), negotiates the media through an rtpleg.Leg, and hands each
// new call to a Handler as a sipgo-free *Call.
//
// What it does (RFC 3261/3264): 100 Trying at once for every new INVITE;
// 180/183/200 (with the SDP answer) and final rejections as the Handler
// decides; ACK; BYE in both directions; CANCEL before the answer (200 to the
// CANCEL, 487 to the INVITE); OPTIONS (200 with Allow and Accept);
// re-INVITE answered per RFC 3264 through Leg.Answer (direction honoured,
// new remote address applied; a sendonly/inactive offer puts the leg on
// hold, which suspends its RTP timeout); INFO application/dtmf-relay and
// application/dtmf as DTMF; 405/501 with Allow for methods it does not
// serve; 403 for INVITEs from outside Config.Allow; 503 while draining.
// Messages are checked above sipgo's parser (validate.go): invalid requests
// get 400 (or 505) from the trunk itself and invalid responses are dropped,
// so the RFC 4475 torture messages never reach the dialog layer. Stream
// transports (TCP, TLS) are framed by the trunk first (stream.go: idle and
// read timeouts, Content-Length required) and checked per message the same
// way. Initial INVITEs over their source's rate get 503 before any
// transaction or port exists (admission.go). Listeners retry transient
// errors and cap connections (internal/netguard); Serving reports their
// health. Every message sent gets our Server/User-Agent (wire.go). SIP
// edges of PROTOCOL §14 (CANCEL race, early BYE, merged requests, tel:)
// live in edges.go.
// An RTP inactivity timeout on the leg ends the call with BYE.
//
// Outbound (outbound.go): Trunk.Dial sends an INVITE for a number to
// Config.OutboundURI with the leg's SDP offer, reports 1xx codes, applies
// the SDP of a 183 (early media) or of the 200, answers one 401/407
// challenge with digest credentials (Config.Username/Password), ACKs the
// 200 (sipgo re-ACKs retransmitted 200s while the INVITE transaction is in
// its Accepted state), and returns a *Call that behaves like an inbound
// one: Hangup (BYE, or CANCEL before the answer), Done, EndReason, OnDTMF,
// RTP timeout, ActiveCalls, HangupAll. Failures are *DialError with the
// SIP status. Before the answer an outbound call is filed under a
// provisional key; the 200 re-files it under the dialog ID that in-dialog
// requests from the carrier (BYE, INFO, re-INVITE) are looked up by.
//
// Carriers (carriers.go, PROTOCOL §9): SetCarrier/RemoveCarrier keep the
// trunks; DialRequest picks them by longest prefix then priority and fails
// over on 408/5xx/6xx-but-603/transport errors/no response; MaxCalls
// slots, per-carrier SRTP policy, CarrierStatus. register.go keeps
// registrations (digest, refresh, back-off, OnRegistration); INVITEs to a
// registered Contact are that carrier's calls (dialled number = To user).
// Admission is the union of Config.Allow, the carriers' Allow and the
// registering carriers' addresses. In-dialog extensions: UPDATE (update.go,
// RFC 3311), session timers (timers.go, RFC 4028, 422 below Min-SE 90)
// and reliable provisionals both ways (prack.go, RFC 3262).
//
// What it does not do: routing (the Handler decides), DNS SRV/NAPTR (a
// carrier host is resolved as A/AAAA only).
//
// Concurrency: each new INVITE's Handler.HandleCall runs on its own
// goroutine, owned by the Trunk (Run waits for it). Call methods are safe
// for concurrent use; OnDTMF callbacks run on the leg's read goroutine or a
// SIP handler goroutine and must not block. Lock order: Trunk.mu before
// Call.mu; Trunk.cmu (carriers) is never held with Trunk.mu; no lock is
// held across network I/O or a callback. Registration loops, session
// timers and reliable-provisional retransmissions run on goroutines the
// Trunk waits for in Run.
package trunk
