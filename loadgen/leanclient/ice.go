package leanclient

import (
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"time"

	"github.com/pion/stun/v4"
)

// checkInterval is how often a binding request goes out until one is
// answered.
const checkInterval = 50 * time.Millisecond

// attr is a raw STUN attribute.
type attr struct {
	t stun.AttrType
	v []byte
}

func (a attr) AddTo(m *stun.Message) error {
	m.Add(a.t, a.v)
	return nil
}

// connect runs ICE, then DTLS, then reports connected or failed.
func (c *Client) connect(p *peer) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.ConnectTimeout)
	defer cancel()
	go func() { // ends with ctx (connect returns) at the latest
		select {
		case <-c.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := c.check(ctx, p); err != nil {
		c.fail(err)
		return
	}
	if err := c.handshake(ctx, p); err != nil {
		c.fail(err)
		return
	}
	c.connected.fire()
}

// check sends binding requests until one is answered and, controlled,
// until the peer nominated the pair.
func (c *Client) check(ctx context.Context, p *peer) error {
	t := time.NewTicker(checkInterval)
	defer t.Stop()
	for !c.checked.fired() {
		if err := c.sendCheck(p); err != nil && ctx.Err() == nil {
			return err
		}
		select {
		case <-c.checked.ch:
		case <-t.C:
		case <-ctx.Done():
			return errors.New("ice: no binding response")
		}
	}
	if p.controlling {
		return nil
	}
	select {
	case <-c.nominated.ch:
		return nil
	case <-ctx.Done():
		return errors.New("ice: the peer did not nominate")
	}
}

func (c *Client) sendCheck(p *peer) error {
	prio := make([]byte, 4)
	binary.BigEndian.PutUint32(prio, 1845501695) // peer-reflexive, RFC 8445 §5.1.2
	tb := make([]byte, 8)
	binary.BigEndian.PutUint64(tb, c.tieBreaker)
	setters := []stun.Setter{stun.TransactionID, stun.BindingRequest, stun.NewUsername(p.username), attr{stun.AttrPriority, prio}}
	if p.controlling {
		setters = append(setters, attr{stun.AttrICEControlling, tb}, attr{stun.AttrUseCandidate, nil})
	} else {
		setters = append(setters, attr{stun.AttrICEControlled, tb})
	}
	setters = append(setters, p.integrity, stun.Fingerprint)
	m, err := stun.Build(setters...)
	if err != nil {
		return err
	}
	return c.conn.WriteTo(m.Raw, p.addr)
}

// receiveSTUN takes the peer's answers to our checks and answers its
// checks (reader goroutine).
func (c *Client) receiveSTUN(b []byte, from netip.AddrPort) {
	p := c.peer.Load()
	if p == nil {
		return
	}
	m := &c.stunIn
	m.Raw = append(m.Raw[:0], b...)
	if m.Decode() != nil {
		return
	}
	switch m.Type {
	case stun.BindingSuccess:
		if p.integrity.Check(m) == nil {
			c.checked.fire()
		}
	case stun.BindingRequest:
		user, err := m.Get(stun.AttrUsername)
		if err != nil || string(user) != p.expectUser || c.integrity.Check(m) != nil {
			return
		}
		if m.Contains(stun.AttrUseCandidate) {
			c.nominated.fire()
		}
		out := &c.stunOut
		if out.Build(stun.NewTransactionIDSetter(m.TransactionID), stun.BindingSuccess,
			&stun.XORMappedAddress{IP: from.Addr().AsSlice(), Port: int(from.Port())},
			c.integrity, stun.Fingerprint) == nil {
			_ = c.conn.WriteTo(out.Raw, from) // a lost response is a lost check: the peer repeats it
		}
	}
}
