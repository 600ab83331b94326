package lean

import (
	"errors"
	"sync/atomic"

	"github.com/pion/srtp/v3"
)

// dropReason is why the engine did not deliver a datagram from a browser
// (Engine.Dropped, the gateway's /metrics).
type dropReason int

const (
	dropUnknownSource dropReason = iota // not a binding request, from an address no leg has
	dropNoKeys                          // SRTP before the leg's DTLS handshake finished, or after Close
	dropHeader                          // not a parseable RTP header
	dropAuth                            // SRTP authentication failed (forged, corrupted, wrong keys)
	dropReplay                          // SRTP replay check: a duplicate, or older than the replay window
	dropSRTP                            // any other SRTP error (too short, unsupported extension, ...)
	dropNotAudio                        // comfort noise, DTMF events, an empty payload
	dropRTCP                            // SRTCP that does not decrypt or parse
	numDropReasons
)

var dropNames = [numDropReasons]string{"unknown_source", "no_keys", "rtp_header", "srtp_auth", "srtp_replay", "srtp_other", "not_audio", "rtcp"}

func (r dropReason) String() string { return dropNames[r] }

// dropCounters counts an engine's drops by reason (atomic: the read loop
// adds, /metrics reads).
type dropCounters [numDropReasons]atomic.Uint64

// Dropped returns how many browser datagrams the engine has not delivered
// since New, by reason (every reason present, 0 included), and as
// "send_failed" the datagrams toward browsers that the kernel refused.
func (e *Engine) Dropped() map[string]uint64 {
	m := make(map[string]uint64, numDropReasons+1)
	for r := range numDropReasons {
		m[r.String()] = e.drops[r].Load()
	}
	m["send_failed"] = e.sock.failedSends()
	return m
}

// Batched returns how many packets toward browsers left in a tick's
// sendmmsg (sock_linux.go) rather than one sendto each.
func (e *Engine) Batched() uint64 { return e.sock.batched.Load() }

// drop counts one datagram of l not delivered: on the leg (Stats'
// PacketsIgnored) and on the engine by reason.
func (l *Leg) drop(r dropReason) {
	l.stats.Ignored.Add(1)
	l.e.drops[r].Add(1)
}

// srtpDropReason classifies a DecryptRTP error without allocating (the
// replay error's message is formatted only when asked for; its Unwrap is
// pion/srtp's unexported "duplicated packet" sentinel).
func srtpDropReason(err error) dropReason {
	if errors.Is(err, srtp.ErrFailedToVerifyAuthTag) {
		return dropAuth
	}
	if u := errors.Unwrap(err); u != nil && u.Error() == "duplicated packet" {
		return dropReplay
	}
	return dropSRTP
}
