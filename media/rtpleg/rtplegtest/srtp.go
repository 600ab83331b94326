package rtplegtest

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/srtp/v3"
)

// sdesState is a phone's SDES-SRTP (RFC 4568): its own key, and once the
// answer came, one context per direction.
type sdesState struct {
	suite   string
	key     []byte // our master key || salt
	tx, rx  *srtp.Context
	out     [1500 + 16]byte // encrypt buffer, under sendMu
	failed  atomic.Uint64   // packets that did not authenticate
	decoded atomic.Uint64   // packets that did
}

// EnableSDES makes the phone offer RTP/SAVP with one a=crypto line of
// suite (AES_CM_128_HMAC_SHA1_80 or _32) and a fresh key, encrypt what it
// sends with that key, and decrypt what it receives with the key of the
// remote's a=crypto. Call it before Offer.
func (p *Phone) EnableSDES(suite string) {
	k := make([]byte, 30)
	_, _ = rand.Read(k)
	p.sdes.Store(&sdesState{suite: suite, key: k})
}

// SRTPCounts returns how many received packets decrypted and
// authenticated with the remote's key, and how many did not.
func (p *Phone) SRTPCounts() (ok, failed uint64) {
	s := p.sdes.Load()
	if s == nil {
		return 0, 0
	}
	return s.decoded.Load(), s.failed.Load()
}

// sdesLines returns the proto and extra attribute lines of the phone's SDP.
func (p *Phone) sdesLines() (proto, attrs string) {
	s := p.sdes.Load()
	if s == nil {
		return "RTP/AVP", ""
	}
	return "RTP/SAVP", "a=crypto:1 " + s.suite + " inline:" + base64.StdEncoding.EncodeToString(s.key) + "\r\n"
}

// applySDES takes the remote's key from md's a=crypto line.
func (p *Phone) applySDES(md *sdp.MediaDescription) error {
	s := p.sdes.Load()
	if s == nil {
		return nil
	}
	if strings.Join(md.MediaName.Protos, "/") != "RTP/SAVP" {
		return errors.New("rtplegtest: answer is not RTP/SAVP")
	}
	prof := srtp.ProtectionProfileAes128CmHmacSha1_80
	if s.suite == "AES_CM_128_HMAC_SHA1_32" {
		prof = srtp.ProtectionProfileAes128CmHmacSha1_32
	}
	for _, a := range md.Attributes {
		f := strings.Fields(a.Value)
		if a.Key != "crypto" || len(f) != 3 || f[1] != s.suite {
			continue
		}
		k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(f[2], "inline:"))
		if err != nil || len(k) != 30 {
			return fmt.Errorf("rtplegtest: bad a=crypto key %q", f[2])
		}
		ns := &sdesState{suite: s.suite, key: s.key}
		if ns.tx, err = srtp.CreateContext(s.key[:16], s.key[16:], prof); err != nil {
			return err
		}
		if ns.rx, err = srtp.CreateContext(k[:16], k[16:], prof); err != nil {
			return err
		}
		p.sdes.Store(ns)
		return nil
	}
	return fmt.Errorf("rtplegtest: answer has no a=crypto with %s", s.suite)
}

// protectLocked encrypts an outgoing packet (sendMu held).
func (p *Phone) protectLocked(pkt []byte) []byte {
	s := p.sdes.Load()
	if s == nil {
		return pkt
	}
	if s.tx == nil {
		return nil // no answer yet: nothing may go out in the clear
	}
	out, err := s.tx.EncryptRTP(s.out[:0], pkt, nil)
	if err != nil {
		return nil
	}
	return out
}

// unprotect decrypts a received packet; nil if it does not authenticate.
func (p *Phone) unprotect(data []byte) []byte {
	s := p.sdes.Load()
	if s == nil {
		return data
	}
	if s.rx == nil {
		s.failed.Add(1)
		return nil
	}
	var h rtp.Header
	out, err := s.rx.DecryptRTP(data[:0], data, &h)
	if err != nil {
		s.failed.Add(1)
		return nil
	}
	s.decoded.Add(1)
	return out
}
