package agent

import (
	"context"
	"time"

	"switchboard/media"
)

// Leg is one party's audio stream as the core wires it: an RTP leg toward
// the trunk, a browser leg, or an internal pipe. WritePacket sends toward the
// party; SetSink says where the party's audio goes.
type Leg interface {
	media.PacketWriter
	SetSink(sink media.PacketWriter)
	Codec() media.Codec
}

// TrunkLeg is the RTP leg of a trunk call.
type TrunkLeg interface {
	Leg
	SendDTMF(digits string, duration time.Duration) error
}

// TrunkCall is one SIP dialog with the carrier (inbound or outbound).
type TrunkCall interface {
	ID() string
	Number() string // dialled number (Request-URI user part)
	From() string   // caller number or user
	Leg() TrunkLeg
	Ringing() error                       // 180 Ringing
	Answer(ctx context.Context) error     // 200 OK, waits for the ACK
	Reject(code int, reason string) error // final response before answer
	Hangup(reason string) error           // BYE after answer, final response before
	Done() <-chan struct{}                // closed when the dialog ends, whoever ended it
	EndReason() string
	OnDTMF(fn func(digit rune)) // RFC 4733 and SIP INFO digits
}

// Dialer places outbound calls through the trunk. Dial returns when the
// call is answered (or fails; cancelling ctx sends CANCEL). onProgress is
// called for provisional responses (180, 183) with the call's RTP leg, so
// early media can reach the agent before the answer.
type Dialer interface {
	Dial(ctx context.Context, to, from string, onProgress func(code int, leg TrunkLeg)) (TrunkCall, error)
}

// BrowserLeg is an agent's WebRTC leg.
type BrowserLeg interface {
	Leg
	Start(sink media.PacketWriter)
	Done() <-chan struct{} // closed when the PeerConnection fails or closes
	Close() error
}

// LegFactory answers a browser's SDP offer with a new BrowserLeg.
type LegFactory interface {
	Accept(ctx context.Context, offer []byte) (BrowserLeg, []byte, error)
}

// Notifier is an agent's websocket connection: Notify enqueues a
// notification without blocking, Close ends the connection.
type Notifier interface {
	Notify(method string, params any) error
	Close(reason string)
}
