package webrtcleg

import "switchboard/media/browserleg"

// State, Stats and the offer errors are browserleg's, shared with the lean
// engine: the same states and reasons mean the same in both.
type (
	State      = browserleg.State
	Stats      = browserleg.Stats
	OfferError = browserleg.OfferError
)

// States (see browserleg.State).
const (
	StateUnknown      = browserleg.StateUnknown
	StateConnecting   = browserleg.StateConnecting
	StateConnected    = browserleg.StateConnected
	StateDisconnected = browserleg.StateDisconnected
	StateFailed       = browserleg.StateFailed
	StateClosed       = browserleg.StateClosed
)

// Sentinel errors (see browserleg). An *OfferError wraps one of the first three.
var (
	ErrInvalidOffer  = browserleg.ErrInvalidOffer
	ErrNoAudio       = browserleg.ErrNoAudio
	ErrNoCommonCodec = browserleg.ErrNoCommonCodec
	ErrClosed        = browserleg.ErrClosed
)
