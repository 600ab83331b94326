package browserleg

// State is a browser leg's connection state, as reported to OnState.
type State uint8

// States. The zero value is StateUnknown.
const (
	StateUnknown State = iota
	// StateConnecting: the answer is out, ICE and DTLS are not done yet.
	StateConnecting
	// StateConnected: ICE and DTLS are up; media flows.
	StateConnected
	// StateDisconnected: nothing heard from the browser for the disconnected
	// timeout (ICE consent freshness). It may recover to StateConnected.
	StateDisconnected
	// StateFailed: still nothing heard after the failed timeout, or DTLS
	// failed. Final: the leg will not recover; Close it.
	StateFailed
	// StateClosed: Close was called, or the browser closed its
	// PeerConnection (DTLS close_notify). Final.
	StateClosed
)

// String returns the state's lowercase name.
func (s State) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateConnected:
		return "connected"
	case StateDisconnected:
		return "disconnected"
	case StateFailed:
		return "failed"
	case StateClosed:
		return "closed"
	}
	return "unknown"
}

// Final reports whether no further transition can follow s.
func (s State) Final() bool { return s == StateFailed || s == StateClosed }
