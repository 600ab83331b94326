package webrtcleg

import "switchboard/media/browserleg"

// State and Stats are browserleg's, shared with the lean engine: the same
// states mean the same in both. The states and the offer errors are
// browserleg's names (browserleg.StateConnected, browserleg.ErrClosed, ...).
type (
	State = browserleg.State
	Stats = browserleg.Stats
)
