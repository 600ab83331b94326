package trunk

import (
	"sync"

	"github.com/emiago/sipgo/sip"
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
