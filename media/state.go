package media

// CallState is what a call is doing in its agent's Switch; it decides what
// the caller hears and whether the agent hears the caller (PROTOCOL.md §3).
type CallState uint8

// Call states. The zero value, StateUnknown, means the call is in none of
// the others: the caller hears silence and the agent hears nothing of it.
const (
	StateUnknown       CallState = iota
	StateOfferedQueue            // ringing an agent from a queue: the caller hears music on hold
	StateOfferedDirect           // ringing an agent directly: the caller hears ringback
	StateActive                  // talking with the agent, both ways (SetMuted: the caller hears silence)
	StateHeld                    // the caller hears music on hold; the agent hears nothing of it
	StateMerged                  // conference: each merged caller hears the agent and the other merged callers
)

// String names the state.
func (s CallState) String() string {
	switch s {
	case StateOfferedQueue:
		return "offered-queue"
	case StateOfferedDirect:
		return "offered-direct"
	case StateActive:
		return "active"
	case StateHeld:
		return "held"
	case StateMerged:
		return "merged"
	}
	return "unknown"
}

func (s CallState) valid() bool { return s <= StateMerged }
