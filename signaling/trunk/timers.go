package trunk

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// supportedOptions is the Supported header value: session timers (RFC
// 4028) and reliable provisional responses (RFC 3262).
const supportedOptions = "timer, 100rel"

// MinSessionExpires is the smallest Session-Expires accepted (RFC 4028
// §5: Min-SE, here 90 s as the RFC recommends).
const MinSessionExpires = 90 * time.Second

// supportedOption reports whether a Require option is one we implement.
func supportedOption(o string) bool {
	switch strings.ToLower(o) {
	case "timer", "100rel":
		return true
	}
	return false
}

// hasOption reports whether a Supported/Require header of m lists opt.
func hasOption(hdrs []sip.Header, opt string) bool {
	for _, h := range hdrs {
		for o := range strings.SplitSeq(h.Value(), ",") {
			if strings.EqualFold(strings.TrimSpace(o), opt) {
				return true
			}
		}
	}
	return false
}

// sessionExpires parses Session-Expires (or its compact form x):
// "1800;refresher=uac". ok is false when absent or malformed.
func sessionExpires(m interface{ GetHeader(string) sip.Header }) (d time.Duration, refresher string, ok bool) {
	h := m.GetHeader("Session-Expires")
	if h == nil {
		h = m.GetHeader("x")
	}
	if h == nil {
		return 0, "", false
	}
	parts := strings.Split(h.Value(), ";")
	n, err := strconv.Atoi(strings.TrimSpace(parts[0]))
	if err != nil || n <= 0 {
		return 0, "", false
	}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "refresher") {
			refresher = strings.ToLower(strings.TrimSpace(v))
		}
	}
	return time.Duration(n) * time.Second, refresher, true
}

// checkSessionExpires refuses a Session-Expires below Min-SE with 422 and
// `Min-SE: 90` (RFC 4028 §8.1). It returns 0 when the request may proceed.
func checkSessionExpires(req *sip.Request) (int, string, []sip.Header) {
	if d, _, ok := sessionExpires(req); ok && d < MinSessionExpires {
		return 422, "Session Interval Too Small", []sip.Header{sip.NewHeader("Min-SE", strconv.Itoa(int(MinSessionExpires/time.Second)))}
	}
	return 0, "", nil
}

// sessionTimer is a call's RFC 4028 timer. When we are the refresher it
// refreshes at half the interval (UPDATE without SDP); when the peer is,
// a refresh that does not come by expiry ends the call with BYE. Its
// goroutine belongs to Trunk.calls and ends with the call.
type sessionTimer struct {
	mu        sync.Mutex    // guards following
	interval  time.Duration // 0: no session timer
	weRefresh bool
	reset     chan struct{} // wakes the loop: a refresh came or the terms changed (buffer 1)
	started   bool
}

// negotiateInbound decides the session timer of an inbound INVITE and
// returns the headers for our 2xx (none without Session-Expires).
// RFC 4028 §9: the UAC's refresher is kept; if it named none, the UAC
// refreshes when it supports timers, else we do.
func (c *Call) negotiateInbound(req *sip.Request) []sip.Header {
	d, refresher, ok := sessionExpires(req)
	if !ok {
		return nil
	}
	uacTimer := hasOption(req.GetHeaders("Supported"), "timer") || hasOption(req.GetHeaders("Require"), "timer")
	if refresher != "uac" && refresher != "uas" {
		refresher = "uas"
		if uacTimer {
			refresher = "uac"
		}
	}
	c.timers.set(d, refresher == "uas")
	hdrs := []sip.Header{sip.NewHeader("Session-Expires", strconv.Itoa(int(d/time.Second))+";refresher="+refresher)}
	if uacTimer {
		hdrs = append(hdrs, sip.NewHeader("Require", "timer"))
	}
	return hdrs
}

// negotiateOutbound reads the session timer from the 2xx to our INVITE
// (RFC 4028 §7.2): refresher=uac means we refresh.
func (c *Call) negotiateOutbound(res *sip.Response) {
	d, refresher, ok := sessionExpires(res)
	if !ok {
		return
	}
	c.timers.set(max(d, MinSessionExpires), refresher != "uas")
}

// set records the negotiated terms and wakes the loop.
func (s *sessionTimer) set(d time.Duration, weRefresh bool) {
	s.mu.Lock()
	s.interval, s.weRefresh = d, weRefresh
	if s.reset == nil {
		s.reset = make(chan struct{}, 1)
	}
	s.mu.Unlock()
	s.kick()
}

func (s *sessionTimer) kick() {
	s.mu.Lock()
	ch := s.reset
	s.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case ch <- struct{}{}:
	default: // a wake-up is pending already
	}
}

func (s *sessionTimer) terms() (time.Duration, bool, chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.interval, s.weRefresh, s.reset
}

// refreshed notes an in-dialog refresh (re-INVITE or UPDATE) from the
// peer, with its new Session-Expires if it has one.
func (c *Call) refreshed(req *sip.Request) {
	if d, refresher, ok := sessionExpires(req); ok && d >= MinSessionExpires {
		c.timers.set(d, refresher == "uas")
		return
	}
	c.timers.kick()
}

// startSessionTimer runs the timer loop once the call is answered, if a
// session interval was negotiated.
func (c *Call) startSessionTimer() {
	d, _, _ := c.timers.terms()
	c.timers.mu.Lock()
	start := d > 0 && !c.timers.started
	c.timers.started = true
	c.timers.mu.Unlock()
	if start {
		c.t.calls.Go(c.sessionTimerLoop)
	}
}

func (c *Call) sessionTimerLoop() {
	for {
		d, weRefresh, reset := c.timers.terms()
		wait := d
		if weRefresh {
			wait = d / 2 // RFC 4028 §10: refresh at half the interval
		}
		tm := time.NewTimer(wait)
		select {
		case <-c.done:
			tm.Stop()
			return
		case <-reset:
			tm.Stop()
			continue
		case <-tm.C:
		}
		if !weRefresh {
			c.log.Info("session expired without refresh: hanging up", "session_expires_s", int(d/time.Second))
			infoIf(c.log, c.Hangup(ReasonSessionExpired), "hangup failed", "reason", ReasonSessionExpired)
			return
		}
		if err := c.sendRefresh(); err != nil {
			c.log.Warn("session refresh failed: hanging up", "err", err)
			infoIf(c.log, c.Hangup(ReasonSessionExpired), "hangup failed", "reason", ReasonSessionExpired)
			return
		}
	}
}

// ReasonSessionExpired ends a call whose session timer ran out (RFC 4028).
const ReasonSessionExpired = "session expired"

// sendRefresh sends our session refresh (RFC 4028 §7.4): UPDATE without
// SDP (RFC 3311), or a re-INVITE with our SDP when the peer's Allow lacks
// UPDATE or it answers the UPDATE with 405/501. It takes the
// Session-Expires of the 2xx.
func (c *Call) sendRefresh() error {
	if !c.peerAllows("UPDATE") {
		return c.sendRefreshInvite()
	}
	err := c.sendRefreshUpdate()
	if de, ok := errors.AsType[*DialError](err); ok && (de.Code == 405 || de.Code == 501) {
		c.log.Info("peer refuses UPDATE: refreshing with re-INVITE", "code", de.Code)
		return c.sendRefreshInvite()
	}
	return err
}

// peerAllows reports whether the peer's Allow (from its INVITE, or from
// the 2xx to ours) lists method; true when it sent no Allow.
func (c *Call) peerAllows(method string) bool {
	var hdrs []sip.Header
	if c.outbound {
		if res := c.cliDlg.InviteResponse; res != nil {
			hdrs = res.GetHeaders("Allow")
		}
	} else {
		hdrs = c.srvDlg.InviteRequest.GetHeaders("Allow")
	}
	return len(hdrs) == 0 || hasOption(hdrs, method)
}

// sendRefreshInvite refreshes with a re-INVITE carrying a new offer of the
// leg (same address and codecs), applies the 2xx's answer and ACKs it.
// It takes the dialog's INVITE semaphore, so it never overlaps a
// re-INVITE or UPDATE offer from the peer (RFC 3261 §14.1).
func (c *Call) sendRefreshInvite() error {
	select {
	case c.reinv <- struct{}{}:
		defer func() { <-c.reinv }()
	case <-c.done:
		return ErrCallEnded
	}
	d, _, _ := c.timers.terms()
	req := sip.NewRequest(sip.INVITE, c.remoteTarget())
	req.AppendHeader(sip.NewHeader("Session-Expires", strconv.Itoa(int(d/time.Second))+";refresher="+c.ourRole()))
	req.AppendHeader(sip.NewHeader("Supported", supportedOptions))
	req.AppendHeader(sip.NewHeader("Allow", allowMethods))
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(c.leg.Offer())
	ctx, cancel := context.WithTimeout(context.Background(), 32*time.Second)
	defer cancel()
	var tx sip.ClientTransaction
	var err error
	if c.outbound {
		tx, err = c.cliDlg.TransactionRequest(ctx, req)
	} else {
		tx, err = c.srvDlg.TransactionRequest(ctx, req)
	}
	if err != nil {
		return err
	}
	defer tx.Terminate()
	var res *sip.Response
	for res == nil {
		select {
		case r := <-tx.Responses():
			if !r.IsProvisional() {
				res = r
			}
		case <-tx.Done():
			return fmt.Errorf("session refresh re-INVITE: %w", tx.Err())
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if !res.IsSuccess() {
		return &DialError{Code: res.StatusCode, Reason: res.Reason}
	}
	// RFC 3261 §13.2.2.4: ACK the 2xx (the dialog gives it the re-INVITE's CSeq).
	ack := sip.NewRequest(sip.ACK, c.remoteTarget())
	if c.outbound {
		err = c.cliDlg.WriteRequest(ack)
	} else {
		err = c.srvDlg.WriteRequest(ack)
	}
	if err != nil {
		return fmt.Errorf("session refresh ack: %w", err)
	}
	if err := c.leg.SetAnswer(res.Body()); err != nil {
		c.log.Warn("session refresh answer refused", "err", err)
	}
	if nd, refresher, ok := sessionExpires(res); ok && nd >= MinSessionExpires {
		c.timers.mu.Lock()
		c.timers.interval = nd
		c.timers.weRefresh = refresher == c.ourRole()
		c.timers.mu.Unlock()
	}
	c.log.Debug("session refreshed", "method", "INVITE")
	return nil
}

// sendRefreshUpdate sends UPDATE without SDP as our refresh.
func (c *Call) sendRefreshUpdate() error {
	d, _, _ := c.timers.terms()
	req := sip.NewRequest(sip.UPDATE, c.remoteTarget())
	req.AppendHeader(sip.NewHeader("Session-Expires", strconv.Itoa(int(d/time.Second))+";refresher="+c.ourRole()))
	req.AppendHeader(sip.NewHeader("Supported", supportedOptions))
	ctx, cancel := context.WithTimeout(context.Background(), 32*time.Second)
	defer cancel()
	res, err := c.inDialog(ctx, req)
	if err != nil {
		return err
	}
	if !res.IsSuccess() {
		return &DialError{Code: res.StatusCode, Reason: res.Reason}
	}
	if nd, refresher, ok := sessionExpires(res); ok && nd >= MinSessionExpires {
		c.timers.mu.Lock()
		c.timers.interval = nd
		c.timers.weRefresh = refresher == c.ourRole()
		c.timers.mu.Unlock()
	}
	c.log.Debug("session refreshed")
	return nil
}

// ourRole is "uas" for inbound calls and "uac" for outbound ones.
func (c *Call) ourRole() string {
	if c.outbound {
		return "uac"
	}
	return "uas"
}

// remoteTarget is the peer's Contact (the in-dialog Request-URI).
func (c *Call) remoteTarget() sip.Uri {
	if c.outbound {
		if res := c.cliDlg.InviteResponse; res != nil {
			if h := res.Contact(); h != nil {
				return *h.Address.Clone()
			}
		}
		return *c.cliDlg.InviteRequest.Recipient.Clone()
	}
	if h := c.srvDlg.InviteRequest.Contact(); h != nil {
		return *h.Address.Clone()
	}
	return sip.Uri{Scheme: "sip", Host: c.remote.Addr().String(), Port: int(c.remote.Port())}
}

// inDialog sends a request inside the call's dialog and returns the final
// response.
func (c *Call) inDialog(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	if c.outbound {
		return c.cliDlg.Do(ctx, req)
	}
	return c.srvDlg.Do(ctx, req)
}
