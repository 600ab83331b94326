package trunk

import (
	"sync"

	"github.com/emiago/sipgo/sip"

	"switchboard/media/rtpleg"
)

// slot is one call counted against a carrier's MaxCalls; release is
// idempotent and safe on a nil slot.
type slot struct {
	once sync.Once
	c    *carrier
}

func (s *slot) release() {
	if s != nil {
		s.once.Do(s.c.release)
	}
}

// takeSlot reserves a call on c; nil at MaxCalls.
func takeSlot(c *carrier) *slot {
	if !c.take() {
		return nil
	}
	return &slot{c: c}
}

// attachInbound files a new inbound call under the carrier it comes from
// (carriers.go inboundCarrier) and takes a call slot; false when that
// carrier is at MaxCalls. An INVITE to a registration's Contact carries
// the registered user as Request-URI user: the dialled number is then the
// To user (RFC 3261 §10: the carrier rewrote our AoR to the Contact).
func (t *Trunk) attachInbound(c *Call, req *sip.Request) bool {
	car, viaContact := t.inboundCarrier(c.remote.Addr(), req.Recipient.User)
	if car == nil {
		return true
	}
	if viaContact {
		if to := req.To(); to != nil && to.Address.User != "" {
			c.number = to.Address.User
			c.log = c.log.With("dialled", c.number)
		}
	}
	s := takeSlot(car)
	if s == nil {
		return false
	}
	c.slot = s
	car.in.Add(1)
	c.log = c.log.With("carrier", car.cfg.ID)
	return true
}

// srtpPolicy maps a carrier's srtp setting onto the leg's SDES policy
// (PROTOCOL §8); "" leaves the pool's default.
func (c *carrier) srtpPolicy() rtpleg.SRTPPolicy {
	p, err := rtpleg.ParseSRTPPolicy(c.cfg.SRTP)
	if err != nil || c.cfg.SRTP == "" {
		return rtpleg.SRTPUnknown
	}
	return p
}

// applyInboundSRTP gives a new inbound call's leg the SRTP policy of the
// carrier it comes from, before its offer is answered.
func (t *Trunk) applyInboundSRTP(leg *rtpleg.Leg, req *sip.Request) {
	if car, _ := t.inboundCarrier(sourceAddr(req).Addr(), req.Recipient.User); car != nil {
		leg.SetSRTPPolicy(car.srtpPolicy())
	}
}
