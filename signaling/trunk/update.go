package trunk

import (
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"
)

// onUpdate answers UPDATE inside a dialog, early or confirmed (RFC 3311):
// with SDP it is an offer answered as a re-INVITE's is (491 while another
// offer is in progress); without SDP it is a session refresh (RFC 4028)
// and gets 200. Either way a Session-Expires it carries resets the
// session timer.
func (t *Trunk) onUpdate(req *sip.Request, tx sip.ServerTransaction) {
	c := t.lookup(req)
	if c == nil || (c.srvDlg == nil && c.cliDlg == nil) {
		t.respond(req, tx, 481, "Call/Transaction Does Not Exist")
		return
	}
	if code, reason, hdrs := checkRequest(req); code != 0 {
		t.respond(req, tx, code, reason, hdrs...)
		return
	}
	if code, reason, hdrs := checkSessionExpires(req); code != 0 {
		t.respond(req, tx, code, reason, hdrs...)
		return
	}
	// In an early dialog the UPDATE is not passed to sipgo's dialog: it
	// would then ignore the ACK of our 2xx (see onPrack).
	if c.srvDlg != nil && c.State() == StateAnswered {
		if err := c.srvDlg.ReadRequest(req, tx); err != nil {
			t.respond(req, tx, 500, "Server Internal Error", sip.NewHeader("Retry-After", "1"))
			return
		}
	}
	var res *sip.Response
	if len(req.Body()) == 0 {
		res = sip.NewResponseFromRequest(req, 200, "OK", nil)
	} else {
		// RFC 3311 §5.2: an offer while another is pending gets 491.
		select {
		case c.reinv <- struct{}{}:
			defer func() { <-c.reinv }()
		default:
			t.respond(req, tx, 491, "Request Pending", sip.NewHeader("Retry-After", "1"))
			return
		}
		answer, err := c.answerOffer(req.Body())
		if err != nil {
			code, reason := statusOf(err, 488, "Not Acceptable Here")
			t.respond(req, tx, code, reason)
			return
		}
		res = sip.NewSDPResponseFromRequest(req, answer)
	}
	c.refreshed(req)
	// RFC 3311 §5.2: the 2xx carries our Contact.
	res.AppendHeader(sip.HeaderClone(&t.dialogUA(req).ContactHDR))
	for _, h := range c.sessionHeaders() {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		c.log.Debug("update respond", "err", err)
	}
}

// answerOffer answers an in-dialog SDP offer (re-INVITE or UPDATE, RFC
// 3264 §8) on the leg: direction honoured (sendonly/inactive is hold,
// which suspends the RTP timeout), new remote address applied.
func (c *Call) answerOffer(offer []byte) ([]byte, error) {
	answer, err := c.leg.Answer(offer)
	if err != nil {
		return nil, err
	}
	held := c.leg.Direction() == "recvonly" || c.leg.Direction() == "inactive"
	c.leg.SetHold(held)
	c.mu.Lock()
	changed := c.held != held
	c.held = held
	c.mu.Unlock()
	if changed {
		c.log.Info("call hold changed", "held", held, "direction", c.leg.Direction())
	}
	return answer, nil
}

// sessionHeaders are the session-timer headers of a 2xx (to INVITE,
// re-INVITE or UPDATE) once an interval is negotiated (RFC 4028 §9).
func (c *Call) sessionHeaders() []sip.Header {
	d, weRefresh, _ := c.timers.terms()
	if d <= 0 {
		return nil
	}
	refresher := c.ourRole()
	if !weRefresh {
		refresher = "uac"
		if c.outbound {
			refresher = "uas"
		}
	}
	return []sip.Header{
		sip.NewHeader("Session-Expires", strconv.Itoa(int(d/time.Second))+";refresher="+refresher),
		sip.NewHeader("Require", "timer"),
	}
}

// okHeaders are the extra headers of our 2xx to an INVITE: Allow and
// Supported, and the negotiated session timer.
func (c *Call) okHeaders() []sip.Header {
	hdrs := []sip.Header{sip.NewHeader("Allow", allowMethods), sip.NewHeader("Supported", supportedOptions)}
	return append(hdrs, c.negotiateInbound(c.srvDlg.InviteRequest)...)
}
