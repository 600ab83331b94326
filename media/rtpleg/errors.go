package rtpleg

import (
	"errors"
	"strconv"
)

// Sentinel errors callers may branch on.
var (
	// ErrTimeout is the Err of a leg that ended because no RTP arrived for
	// Config.Timeout.
	ErrTimeout = errors.New("rtpleg: rtp inactivity timeout")
	// ErrClosed is returned by operations on a leg that has ended.
	ErrClosed = errors.New("rtpleg: leg closed")
	// ErrPortsExhausted is returned by Pool.Open when no port of the range is free.
	ErrPortsExhausted = errors.New("rtpleg: rtp port range exhausted")
	// ErrNoTelephoneEvent is returned by SendDTMF when the remote did not
	// negotiate telephone-event (RFC 4733).
	ErrNoTelephoneEvent = errors.New("rtpleg: telephone-event not negotiated")
)

// SDPError is an SDP offer/answer failure that knows its SIP verdict:
// Code 400 for a malformed description, 488 for an acceptable one we cannot
// serve (no common codec, no audio stream, unsupported transport).
// The functions of this package return it as *SDPError.
type SDPError struct {
	Code   int    // SIP status code: 400 or 488
	Reason string // SIP reason phrase, one line, e.g. "malformed SDP: missing c= line"
}

// Error implements error.
func (e SDPError) Error() string { return "sdp: " + strconv.Itoa(e.Code) + " " + e.Reason }

// SIPStatus returns the SIP response code and reason phrase for the failure.
func (e SDPError) SIPStatus() (int, string) { return e.Code, e.Reason }

// malformed returns a 400 SDPError with the reason "malformed SDP: <detail>".
func malformed(detail string) *SDPError {
	return &SDPError{Code: 400, Reason: "malformed SDP: " + sanitizeReason(detail)}
}

// notAcceptable returns a 488 SDPError.
func notAcceptable(reason string) *SDPError {
	return &SDPError{Code: 488, Reason: sanitizeReason(reason)}
}

// sanitizeReason keeps a reason phrase on one printable ASCII line of
// bounded length, whatever garbage the peer's SDP put into an error message.
func sanitizeReason(s string) string {
	const maxLen = 120
	b := make([]byte, 0, min(len(s), maxLen))
	for i := 0; i < len(s) && len(b) < maxLen; i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			c = '?'
		}
		b = append(b, c)
	}
	return string(b)
}
