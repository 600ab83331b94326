package trunk

import "errors"

// Sentinel errors.
var (
	// ErrCallEnded is returned by Call methods once the call has ended.
	ErrCallEnded = errors.New("trunk: call ended")
	// ErrAlreadyFinal is returned when a final response was already sent
	// (e.g. Reject after Answer).
	ErrAlreadyFinal = errors.New("trunk: final response already sent")
	// ErrClosed is returned by operations on a closed Trunk.
	ErrClosed = errors.New("trunk: closed")
	// ErrNoOutbound is returned by Dial without Config.OutboundURI.
	ErrNoOutbound = errors.New("trunk: no outbound trunk configured")
)

// sipStatuser is an error that knows its SIP verdict (rtpleg.SDPError).
type sipStatuser interface {
	error
	SIPStatus() (code int, reason string)
}

// statusOf returns the SIP status for err: its own verdict, else def.
func statusOf(err error, def int, defReason string) (int, string) {
	if se, ok := errors.AsType[sipStatuser](err); ok {
		return se.SIPStatus()
	}
	return def, defReason
}
