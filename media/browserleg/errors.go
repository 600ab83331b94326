package browserleg

import "errors"

// Sentinel errors. An *OfferError wraps one of the first three.
var (
	// ErrInvalidOffer means the offer is not SDP this leg can use.
	ErrInvalidOffer = errors.New("invalid offer")
	// ErrNoAudio means the offer has no audio media section.
	ErrNoAudio = errors.New("offer has no audio")
	// ErrNoCommonCodec means the offer's audio lists neither PCMU nor PCMA.
	ErrNoCommonCodec = errors.New("offer has neither PCMU nor PCMA")
	// ErrClosed is returned by operations on a closed Engine or Leg.
	ErrClosed = errors.New("webrtc leg closed")
)

// OfferError is returned by an engine's Accept when the browser's offer cannot be
// answered. Reason is a stable snake_case word for protocol errors
// (JSON-RPC data.reason): "invalid_sdp", "no_audio" or "no_common_codec".
type OfferError struct {
	Reason string
	Err    error // one of ErrInvalidOffer, ErrNoAudio, ErrNoCommonCodec, possibly wrapping a detail
}

// Error implements error.
func (e *OfferError) Error() string { return "reject offer: " + e.Err.Error() }

// Unwrap returns the wrapped sentinel.
func (e *OfferError) Unwrap() error { return e.Err }
