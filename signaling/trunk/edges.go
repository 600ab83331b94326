package trunk

import (
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// SIP edges (PROTOCOL §14) that need their own state or wiring.

// pinUDPRoute makes every in-dialog request of an inbound UDP dialog leave
// from the SIP listening socket (PROTOCOL §14): the addresses the dialog
// sends to (its Record-Route hops and Contact) are filed in sipgo's UDP
// connection pool under the listener. Otherwise a Record-Route to a port
// the listener has not heard from makes sipgo open a new socket on a random
// port, which a carrier's firewall or SBC drops.
func (t *Trunk) pinUDPRoute(req *sip.Request) {
	if req.Transport() != "UDP" {
		return
	}
	var uris []sip.Uri
	for _, h := range req.GetHeaders("Record-Route") {
		if rr, ok := h.(*sip.RecordRouteHeader); ok {
			uris = append(uris, rr.Address)
		}
	}
	if c := req.Contact(); c != nil {
		uris = append(uris, c.Address)
	}
	for _, u := range uris {
		ip, err := netip.ParseAddr(u.Host)
		if err != nil {
			continue // a name: sipgo resolves it, we do not pin it
		}
		port := u.Port
		if port == 0 {
			port = 5060
		}
		t.pinUDP(netip.AddrPortFrom(ip.Unmap(), uint16(port)))
	}
}

// Initial INVITEs in progress, for two RFC 3261 rules sipgo leaves to us:
//
//   - §9.2, the CANCEL race: sipgo handles each request on its own
//     goroutine, so a CANCEL sent right behind its INVITE can look for the
//     INVITE's transaction before it exists and reach onCancel. Such a
//     CANCEL waits up to raceCancelWait for the INVITE to start; then it gets
//     200 and the INVITE 487 (and a call already offered ends, so no agent
//     keeps the offer). Only without an INVITE does it get 481.
//   - §8.2.2.2, merged requests: an INVITE without To tag whose From tag,
//     Call-ID and CSeq match one in progress (or ended within mergeTTL) but
//     with another branch arrived by a second path: 482 Loop Detected.

const (
	raceCancelWait = 500 * time.Millisecond
	mergeTTL       = 32 * time.Second // Timer H: the first INVITE's transaction may still be alive
	maxInflight    = 16384            // bound of either map; past it a CANCEL gets 481 at once and merges go unchecked
)

type inviteKey struct{ callID, branch string }

type mergeKey struct{ callID, fromTag, cseq string }

type mergeEntry struct {
	branch  string
	expires time.Time // zero while the INVITE is in progress
}

// inviteEntry is one INVITE in progress, or a CANCEL waiting for one.
type inviteEntry struct {
	arrived     chan struct{} // closed once the INVITE's handler has started
	canceled    chan struct{} // closed by a CANCEL that missed the transaction
	arriveOnce  sync.Once
	cancelOnce  sync.Once
	hasInvite   bool // guarded by Trunk.imu
	waitCancels int  // CANCELs waiting; guarded by Trunk.imu
}

func newInviteEntry() *inviteEntry {
	return &inviteEntry{arrived: make(chan struct{}), canceled: make(chan struct{})}
}

func (e *inviteEntry) isCanceled() bool {
	select {
	case <-e.canceled:
		return true
	default:
		return false
	}
}

func topBranch(req *sip.Request) string {
	if v := req.Via(); v != nil && v.Params != nil {
		b, _ := v.Params.Get("branch")
		return b
	}
	return ""
}

func mergeKeyOf(req *sip.Request) mergeKey {
	k := mergeKey{callID: callID(req)}
	if f := req.From(); f != nil && f.Params != nil {
		k.fromTag, _ = f.Params.Get("tag")
	}
	if cs := req.CSeq(); cs != nil {
		k.cseq = cs.Value()
	}
	return k
}

// beginInvite files an initial INVITE; merged reports a §8.2.2.2 merge
// (answer 482). The caller must call endInvite(req) when it is done.
func (t *Trunk) beginInvite(req *sip.Request) (e *inviteEntry, merged bool) {
	key := inviteKey{callID(req), topBranch(req)}
	mk := mergeKeyOf(req)
	now := time.Now()
	t.imu.Lock()
	defer t.imu.Unlock()
	if m, ok := t.merges[mk]; ok && m.branch != key.branch && (m.expires.IsZero() || now.Before(m.expires)) {
		return nil, true
	}
	if len(t.merges) >= maxInflight {
		for k, m := range t.merges {
			if !m.expires.IsZero() && now.After(m.expires) {
				delete(t.merges, k)
			}
		}
	}
	if len(t.merges) < maxInflight {
		t.merges[mk] = mergeEntry{branch: key.branch}
	}
	e = t.inflight[key]
	if e == nil {
		e = newInviteEntry()
		t.inflight[key] = e
	}
	e.hasInvite = true
	e.arriveOnce.Do(func() { close(e.arrived) })
	return e, false
}

// endInvite forgets the INVITE once it has its final response; its merge
// key stays for mergeTTL.
func (t *Trunk) endInvite(req *sip.Request) {
	key := inviteKey{callID(req), topBranch(req)}
	mk := mergeKeyOf(req)
	t.imu.Lock()
	defer t.imu.Unlock()
	if e := t.inflight[key]; e != nil && e.waitCancels == 0 {
		delete(t.inflight, key)
	} else if e != nil {
		e.hasInvite = false
	}
	if m, ok := t.merges[mk]; ok && m.branch == key.branch {
		t.merges[mk] = mergeEntry{branch: m.branch, expires: time.Now().Add(mergeTTL)}
	}
}

// raceCancel handles a CANCEL that matched no transaction: true if it
// cancelled an INVITE (answer 200), false for 481.
func (t *Trunk) raceCancel(req *sip.Request) bool {
	key := inviteKey{callID(req), topBranch(req)}
	t.imu.Lock()
	e := t.inflight[key]
	if e == nil {
		if len(t.inflight) >= maxInflight {
			t.imu.Unlock()
			return false
		}
		e = newInviteEntry()
		t.inflight[key] = e
	}
	e.waitCancels++
	t.imu.Unlock()
	wait := time.NewTimer(raceCancelWait)
	defer wait.Stop()
	ok := false
	select {
	case <-e.arrived:
		e.cancelOnce.Do(func() { close(e.canceled) })
		ok = true
	case <-wait.C:
	case <-t.closed:
	}
	t.imu.Lock()
	if e.waitCancels--; e.waitCancels == 0 && !e.hasInvite && t.inflight[key] == e {
		delete(t.inflight, key)
	}
	t.imu.Unlock()
	return ok
}

// cancelEarly ends an inbound call that has no final response as a CANCEL
// does: 487 to the INVITE, reason canceled. It returns false when the call
// already has its final response.
// answering reports whether Answer has sent (is sending) the 200 of an
// inbound call whose ACK has not arrived: sipgo's dialog is established
// then, confirmed at the ACK.
func (c *Call) answering() bool {
	if c.outbound || c.srvDlg == nil {
		return false
	}
	return c.srvDlg.LoadState() == sip.DialogStateEstablished
}

func (c *Call) cancelEarly() bool {
	if c.outbound {
		return false
	}
	if err := c.claimFinal(); err != nil {
		return false
	}
	c.mu.Lock()
	if c.endReason == "" {
		c.endReason = ReasonCanceled
	}
	c.mu.Unlock()
	if err := c.respondFinal(487, "Request Terminated"); err != nil {
		c.log.Debug("487", "err", err)
	}
	c.closeFinal()
	c.end(ReasonCanceled)
	return true
}

// dialled returns the number a request is for: the Request-URI's user
// part, or for a tel: URI (RFC 3966, which sipgo does not parse) its
// number; visual separators (-.() and spaces) are removed from phone
// numbers, so "tel:+49-30-1234" dials "+49301234" (PROTOCOL §14).
func dialled(req *sip.Request) string {
	n := req.Recipient.User
	if strings.EqualFold(req.Recipient.Scheme, "tel") {
		if f := strings.Fields(req.StartLine()); len(f) >= 2 {
			n = f[1][len("tel:"):]
			n, _, _ = strings.Cut(n, ";")
		}
	}
	return phoneNumber(n)
}

// phoneNumber strips RFC 3966 visual separators from n when n is a phone
// number (an optional +, digits and separators); other users are kept.
func phoneNumber(n string) string {
	digits := 0
	for i, r := range n {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, r == '-', r == '.', r == '(', r == ')', r == ' ':
		default:
			return n
		}
	}
	if digits == 0 {
		return n
	}
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '.' || r == '(' || r == ')' || r == ' ' {
			return -1
		}
		return r
	}, n)
}
