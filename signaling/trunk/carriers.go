package trunk

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Carrier is one SIP trunk toward a carrier (PROTOCOL §9): where its
// server is, how to authenticate, which numbers it takes, which sources
// may send calls, and whether to REGISTER.
type Carrier struct {
	ID              string
	Host            string         // IP address or DNS name
	Port            int            // 0 means 5060 (5061 for tls)
	Transport       string         // "udp", "tcp" or "tls"; "" means udp
	Username        string         // digest username, REGISTER user and Contact user
	Password        string         // digest password
	Register        bool           // keep a registration with Host
	RegisterExpires time.Duration  // asked for in REGISTER; 0 means 1 h
	CallerID        string         // From user when the dialling agent has none
	Prefixes        []string       // numbers it takes (longest prefix wins); empty = every number
	Priority        int            // lower is tried first
	Allow           []netip.Prefix // sources allowed to send INVITEs
	SRTP            string         // off, optional, required (stored for the SRTP policy)
	MaxCalls        int            // calls at once; 0 = no limit
}

func (c Carrier) port() int {
	switch {
	case c.Port != 0:
		return c.Port
	case c.transport() == "tls":
		return 5061
	}
	return 5060
}

func (c Carrier) transport() string {
	if c.Transport == "" {
		return "udp"
	}
	return strings.ToLower(c.Transport)
}

// contactUser is the user part of the Contact we register: INVITEs to it
// are calls from this carrier.
func (c Carrier) contactUser() string {
	if c.Username != "" {
		return c.Username
	}
	return "switchboard-" + c.ID
}

// Registration states of CarrierStatus.
const (
	RegDisabled    = "disabled"
	RegRegistering = "registering"
	RegRegistered  = "registered"
	RegFailed      = "failed"
)

// CarrierStatus is a carrier's live state.
type CarrierStatus struct {
	Registration    string    // RegDisabled, RegRegistering, RegRegistered or RegFailed
	RegisteredUntil time.Time // zero unless registered
	LastError       string
	ActiveCalls     int
	CallsIn         int64
	CallsOut        int64
}

// carrier is a Carrier with its live counters and registration.
type carrier struct {
	cfg    Carrier
	active atomic.Int64
	in     atomic.Int64
	out    atomic.Int64
	reg    *registration // nil unless cfg.Register

	mu    sync.Mutex   // guards following
	addrs []netip.Addr // the resolved Host, for admission
}

// take reserves a call slot; false at MaxCalls.
func (c *carrier) take() bool {
	if n := c.active.Add(1); c.cfg.MaxCalls > 0 && n > int64(c.cfg.MaxCalls) {
		c.active.Add(-1)
		return false
	}
	return true
}

func (c *carrier) release() { c.active.Add(-1) }

func (c *carrier) setAddrs(a []netip.Addr) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.addrs = a
}

func (c *carrier) hasAddr(ip netip.Addr) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Contains(c.addrs, ip)
}

// SetCarrier adds or replaces a carrier; a registration it had is
// restarted with the new settings. Safe for concurrent use.
func (t *Trunk) SetCarrier(cfg Carrier) {
	c := &carrier{cfg: cfg}
	if ip, err := netip.ParseAddr(cfg.Host); err == nil {
		c.addrs = []netip.Addr{ip.Unmap()}
	}
	t.cmu.Lock()
	old := t.carriers[cfg.ID]
	if old != nil {
		// Calls in progress keep counting against the same carrier.
		c.active.Store(old.active.Load())
		c.in.Store(old.in.Load())
		c.out.Store(old.out.Load())
	}
	t.carriers[cfg.ID] = c
	t.cmu.Unlock()
	if old != nil && old.reg != nil {
		old.reg.stop()
	}
	if cfg.Register {
		t.startRegistration(c)
	}
}

// RemoveCarrier deletes a carrier (its registration stops).
func (t *Trunk) RemoveCarrier(id string) {
	t.cmu.Lock()
	old := t.carriers[id]
	delete(t.carriers, id)
	t.cmu.Unlock()
	if old != nil && old.reg != nil {
		old.reg.stop()
	}
}

// CarrierStatus returns a carrier's live state (zero with registration
// "disabled" for an unknown id).
func (t *Trunk) CarrierStatus(id string) CarrierStatus {
	t.cmu.Lock()
	c := t.carriers[id]
	t.cmu.Unlock()
	st := CarrierStatus{Registration: RegDisabled}
	if c == nil {
		return st
	}
	st.ActiveCalls = int(c.active.Load())
	st.CallsIn, st.CallsOut = c.in.Load(), c.out.Load()
	if c.reg != nil {
		c.reg.status(&st)
	}
	return st
}

// carrierList returns the carriers, ordered by id.
func (t *Trunk) carrierList() []*carrier {
	t.cmu.Lock()
	defer t.cmu.Unlock()
	out := make([]*carrier, 0, len(t.carriers))
	for _, c := range t.carriers {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *carrier) int { return strings.Compare(a.cfg.ID, b.cfg.ID) })
	return out
}

// prefixLen returns the length of the longest of prefixes that number
// starts with: 0 for a carrier without prefixes (it takes every number),
// -1 if none matches. A leading '+' on either side is ignored, so E.164
// numbers match with or without it.
func prefixLen(prefixes []string, number string) int {
	if len(prefixes) == 0 {
		return 0
	}
	n := strings.TrimPrefix(number, "+")
	best := -1
	for _, p := range prefixes {
		p = strings.TrimPrefix(p, "+")
		if strings.HasPrefix(n, p) && len(p) > best {
			best = len(p)
		}
	}
	return best
}

// selectCarriers returns the carriers that take number, in the order to
// try them (PROTOCOL §9): the longest matching prefix first (a carrier
// without prefixes matches with length 0), then priority (lower first),
// then id.
func selectCarriers(cs []*carrier, number string) []*carrier {
	type cand struct {
		c *carrier
		n int
	}
	var out []cand
	for _, c := range cs {
		if n := prefixLen(c.cfg.Prefixes, number); n >= 0 {
			out = append(out, cand{c, n})
		}
	}
	slices.SortStableFunc(out, func(a, b cand) int {
		if a.n != b.n {
			return cmp.Compare(b.n, a.n)
		}
		if a.c.cfg.Priority != b.c.cfg.Priority {
			return cmp.Compare(a.c.cfg.Priority, b.c.cfg.Priority)
		}
		return strings.Compare(a.c.cfg.ID, b.c.cfg.ID)
	})
	res := make([]*carrier, len(out))
	for i, c := range out {
		res[i] = c.c
	}
	return res
}

// allowed reports whether src may send INVITEs: the union of
// Config.Allow, every carrier's Allow and the resolved addresses of
// registering carriers; an empty union allows any source. A peer node's
// address (SetPeers) is always allowed.
func (t *Trunk) allowed(src netip.Addr) bool {
	src = src.Unmap()
	if t.isPeer(src) {
		return true
	}
	empty := len(t.cfg.Allow) == 0
	if slices.ContainsFunc(t.cfg.Allow, func(p netip.Prefix) bool { return p.Contains(src) }) {
		return true
	}
	for _, c := range t.carrierList() {
		if len(c.cfg.Allow) > 0 {
			empty = false
			if slices.ContainsFunc(c.cfg.Allow, func(p netip.Prefix) bool { return p.Contains(src) }) {
				return true
			}
		}
		if c.cfg.Register {
			empty = false
			if c.hasAddr(src) {
				return true
			}
		}
	}
	return empty
}

// inboundCarrier returns the carrier an INVITE comes from: the one whose
// registered Contact user is the Request-URI user, else the first whose
// Allow or resolved address holds src; nil if none.
func (t *Trunk) inboundCarrier(src netip.Addr, ruriUser string) (*carrier, bool) {
	src = src.Unmap()
	cs := t.carrierList()
	for _, c := range cs {
		if c.cfg.Register && ruriUser != "" && ruriUser == c.cfg.contactUser() {
			return c, true
		}
	}
	for _, c := range cs {
		if slices.ContainsFunc(c.cfg.Allow, func(p netip.Prefix) bool { return p.Contains(src) }) || c.hasAddr(src) {
			return c, false
		}
	}
	return nil, false
}

// Registered returns, for every carrier that registers, whether it is
// registered now (the switchboard_trunk_registered gauge).
func (t *Trunk) Registered() map[string]bool {
	out := map[string]bool{}
	for _, c := range t.carrierList() {
		if c.cfg.Register {
			st := CarrierStatus{Registration: RegRegistering}
			if c.reg != nil {
				c.reg.status(&st)
			}
			out[c.cfg.ID] = st.Registration == RegRegistered
		}
	}
	return out
}
