package rtpleg

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/srtp/v3"
)

// SRTPPolicy says whether a trunk leg protects its media with SRTP keyed
// by SDES (RFC 4568 a=crypto in the SDP). The trunk configuration (a
// trunk's "srtp" field, or -trunk-srtp) maps onto it.
type SRTPPolicy uint8

// SRTP policies. The zero value, SRTPUnknown, means "not set": the leg
// then uses the pool's Config.SRTP, and a pool without one behaves as
// SRTPOff.
const (
	SRTPUnknown  SRTPPolicy = iota
	SRTPOff                 // plain RTP only: an RTP/SAVP offer gets 488
	SRTPOptional            // SRTP when the peer offers it, plain RTP otherwise; our offers are plain
	SRTPRequired            // SRTP only: a plain offer gets 488; our offers are RTP/SAVP
)

// String returns "off", "optional", "required" or "unknown".
func (p SRTPPolicy) String() string {
	switch p {
	case SRTPOff:
		return "off"
	case SRTPOptional:
		return "optional"
	case SRTPRequired:
		return "required"
	}
	return "unknown"
}

// ParseSRTPPolicy parses "off", "optional" or "required" ("" is off).
func ParseSRTPPolicy(s string) (SRTPPolicy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "off":
		return SRTPOff, nil
	case "optional":
		return SRTPOptional, nil
	case "required":
		return SRTPRequired, nil
	}
	return SRTPUnknown, fmt.Errorf("srtp policy %q: want off, optional or required", s)
}

// MarshalText implements encoding.TextMarshaler.
func (p SRTPPolicy) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *SRTPPolicy) UnmarshalText(b []byte) error {
	v, err := ParseSRTPPolicy(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// SDES crypto suites we speak (RFC 4568 §6.2).
const (
	suite80 = "AES_CM_128_HMAC_SHA1_80"
	suite32 = "AES_CM_128_HMAC_SHA1_32"
)

// keyLen is the master key (16) plus master salt (14) of both suites.
const keyLen = 30

// srtpTagMax bounds the SRTP auth tag appended to a packet (10 bytes for _80).
const srtpTagMax = 16

func suiteProfile(name string) (srtp.ProtectionProfile, bool) {
	switch name {
	case suite80:
		return srtp.ProtectionProfileAes128CmHmacSha1_80, true
	case suite32:
		return srtp.ProtectionProfileAes128CmHmacSha1_32, true
	}
	return 0, false
}

// rtpProto reports whether an m= line's transport is one we answer.
func rtpProto(proto string) bool {
	switch proto {
	case "RTP/AVP", "RTP/AVPF", "RTP/SAVP", "RTP/SAVPF":
		return true
	}
	return false
}

func secureProto(proto string) bool { return strings.HasPrefix(proto, "RTP/SAVP") }

// cryptoAttr is one usable a=crypto line: tag, suite and inline key.
type cryptoAttr struct {
	tag   string
	suite string
	key   []byte // master key || master salt, keyLen bytes
}

// sdesDesc is what a remote description says about SDES.
type sdesDesc struct {
	secure bool         // the audio m= line is RTP/SAVP or RTP/SAVPF
	crypto []cryptoAttr // its usable a=crypto lines, in order of preference
}

// parseCrypto collects the usable a=crypto lines of md. Lines with a suite
// we do not know, an MKI, a key that is not 30 bytes or session parameters
// are skipped (RFC 4568 §6.1: an attribute with an unknown parameter is
// not usable); a malformed line is a 400.
func parseCrypto(md *sdp.MediaDescription) (sdesDesc, error) {
	d := sdesDesc{secure: secureProto(strings.Join(md.MediaName.Protos, "/"))}
	for _, a := range md.Attributes {
		if a.Key != "crypto" {
			continue
		}
		f := strings.Fields(a.Value)
		if len(f) < 3 {
			return d, malformed("bad a=crypto")
		}
		if _, err := strconv.ParseUint(f[0], 10, 32); err != nil || len(f[0]) > 9 {
			return d, malformed("bad a=crypto tag")
		}
		if len(f) > 3 {
			continue // session parameters (KDR, UNENCRYPTED_SRTP, ...): not supported
		}
		if _, ok := suiteProfile(f[1]); !ok {
			continue
		}
		key, err := inlineKey(f[2])
		if err != nil {
			return d, err
		}
		if key != nil {
			d.crypto = append(d.crypto, cryptoAttr{tag: f[0], suite: f[1], key: key})
		}
	}
	return d, nil
}

// inlineKey decodes the key parameters of an a=crypto line: one
// "inline:<base64 key||salt>[|lifetime][|MKI:length]" (RFC 4568 §9.2). It
// returns nil (not usable) for several keys, an MKI or a wrong length.
func inlineKey(params string) ([]byte, error) {
	if strings.Contains(params, ";") {
		return nil, nil // several master keys need MKIs
	}
	inline, ok := strings.CutPrefix(params, "inline:")
	if !ok {
		return nil, malformed("bad a=crypto key method")
	}
	parts := strings.Split(inline, "|")
	for _, p := range parts[1:] {
		if strings.Contains(p, ":") {
			return nil, nil // an MKI
		}
	}
	k, err := base64.StdEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, malformed("bad a=crypto key")
	}
	if len(k) != keyLen {
		return nil, nil
	}
	return k, nil
}

// value formats a crypto attribute value: "<tag> <suite> inline:<key>".
func (c cryptoAttr) value() string {
	return c.tag + " " + c.suite + " inline:" + base64.StdEncoding.EncodeToString(c.key)
}

func newKey() []byte {
	k := make([]byte, keyLen)
	_, _ = rand.Read(k) // crypto/rand.Read never fails (Go 1.24+)
	return k
}

// srtpSession is the negotiated SRTP of a leg: one context per direction.
// tx is used only under the sender's lock, rx only by the read goroutine.
type srtpSession struct {
	suite  string
	tx, rx *srtp.Context
	txHdr  rtp.Header
	rxHdr  rtp.Header
	out    [maxPacket + srtpTagMax]byte
	local  cryptoAttr // our key: the a=crypto we sent
	remote []byte     // the peer's key
}

func newSession(local cryptoAttr, remoteKey []byte) (*srtpSession, error) {
	prof, _ := suiteProfile(local.suite)
	tx, err := srtp.CreateContext(local.key[:16], local.key[16:], prof)
	if err != nil {
		return nil, fmt.Errorf("srtp send context: %w", err)
	}
	rx, err := srtp.CreateContext(remoteKey[:16], remoteKey[16:], prof, srtp.SRTPReplayProtection(64))
	if err != nil {
		return nil, fmt.Errorf("srtp receive context: %w", err)
	}
	return &srtpSession{suite: local.suite, tx: tx, rx: rx, local: local, remote: remoteKey}, nil
}

// secure is a leg's SRTP state.
type secure struct {
	cur atomic.Pointer[srtpSession] // nil: plain RTP

	mu      sync.Mutex   // guards following; taken under Leg.mu
	policy  SRTPPolicy   // SetSRTPPolicy; SRTPUnknown means the pool's
	offered []cryptoAttr // our a=crypto lines of a pending Offer
	failed  atomic.Uint64
}

// SetSRTPPolicy sets the leg's SRTP policy for the negotiations that
// follow (a per-trunk policy); SRTPUnknown restores the pool's.
func (l *Leg) SetSRTPPolicy(p SRTPPolicy) {
	l.sec.mu.Lock()
	l.sec.policy = p
	l.sec.mu.Unlock()
}

// SRTP returns the negotiated crypto suite ("" for plain RTP).
func (l *Leg) SRTP() string {
	if s := l.sec.cur.Load(); s != nil {
		return s.suite
	}
	return ""
}

// SRTPFailures counts received packets dropped because they did not
// authenticate or decrypt.
func (l *Leg) SRTPFailures() uint64 { return l.sec.failed.Load() }

func (l *Leg) srtpPolicy() SRTPPolicy {
	l.sec.mu.Lock()
	p := l.sec.policy
	l.sec.mu.Unlock()
	if p == SRTPUnknown {
		p = l.pool.cfg.SRTP
	}
	if p == SRTPUnknown {
		p = SRTPOff
	}
	return p
}

// answerSRTPLocked decides SRTP for a remote offer under the policy, makes
// the session and returns the a=crypto value of our answer ("" for plain
// RTP). Errors are 488 *SDPError; on error nothing changes.
func (l *Leg) answerSRTPLocked(r *remoteDesc) (string, error) {
	p := l.srtpPolicy()
	if !r.sdes.secure {
		if p == SRTPRequired {
			return "", notAcceptable("SRTP required (RTP/SAVP with a=crypto)")
		}
		l.sec.cur.Store(nil)
		return "", nil
	}
	if p == SRTPOff {
		return "", notAcceptable("unsupported media transport RTP/SAVP: SRTP not enabled on this trunk")
	}
	if len(r.sdes.crypto) == 0 {
		return "", notAcceptable("no usable a=crypto (want " + suite80 + " or " + suite32 + ", one inline key, no MKI)")
	}
	c := r.sdes.crypto[0]
	if cur := l.sec.cur.Load(); cur != nil && cur.local.suite == c.suite && string(cur.remote) == string(c.key) {
		// A re-offer with the same key keeps the session (and its rollover counters).
		local := cur.local
		local.tag = c.tag
		return local.value(), nil
	}
	local := cryptoAttr{tag: c.tag, suite: c.suite, key: newKey()}
	s, err := newSession(local, c.key)
	if err != nil {
		return "", notAcceptable(err.Error())
	}
	l.sec.cur.Store(s)
	return local.value(), nil
}

// offerSRTPLocked returns the a=crypto lines of our offer: both suites
// with fresh keys under SRTPRequired, none otherwise.
func (l *Leg) offerSRTPLocked() []cryptoAttr {
	l.sec.offered = nil
	if l.srtpPolicy() != SRTPRequired {
		return nil
	}
	l.sec.offered = []cryptoAttr{{tag: "1", suite: suite80, key: newKey()}, {tag: "2", suite: suite32, key: newKey()}}
	return l.sec.offered
}

// setAnswerSRTPLocked applies the remote answer to our offer's crypto.
func (l *Leg) setAnswerSRTPLocked(r *remoteDesc) error {
	offered := l.sec.offered
	l.sec.offered = nil
	if len(offered) == 0 {
		if r.sdes.secure {
			return notAcceptable("RTP/SAVP answer to a plain offer")
		}
		l.sec.cur.Store(nil)
		return nil
	}
	if !r.sdes.secure || len(r.sdes.crypto) == 0 {
		return notAcceptable("SRTP required but the answer is plain RTP")
	}
	c := r.sdes.crypto[0]
	for _, o := range offered {
		if o.tag == c.tag && o.suite == c.suite {
			s, err := newSession(o, c.key)
			if err != nil {
				return notAcceptable(err.Error())
			}
			l.sec.cur.Store(s)
			return nil
		}
	}
	return notAcceptable("a=crypto answer matches no offered tag and suite")
}

// protectLocked encrypts the RTP packet pkt for sending (sender lock
// held). Without SRTP it returns pkt. It does not allocate.
func (l *Leg) protectLocked(pkt []byte) ([]byte, error) {
	s := l.sec.cur.Load()
	if s == nil {
		return pkt, nil
	}
	out, err := s.tx.EncryptRTP(s.out[:0], pkt, &s.txHdr)
	if err != nil {
		return nil, fmt.Errorf("srtp protect: %w", err)
	}
	return out, nil
}

// unprotect decrypts a received packet in place (read goroutine). Without
// SRTP it returns data; a packet that does not authenticate returns nil.
func (l *Leg) unprotect(data []byte) []byte {
	s := l.sec.cur.Load()
	if s == nil {
		return data
	}
	out, err := s.rx.DecryptRTP(data[:0], data, &s.rxHdr)
	if err != nil {
		l.sec.failed.Add(1)
		return nil
	}
	return out
}
