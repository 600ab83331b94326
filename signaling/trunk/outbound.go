package trunk

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"switchboard/media"
	"switchboard/media/rtpleg"
)

// cancelWait bounds how long Hangup of an unanswered outbound call waits
// for the CANCEL exchange before ending the call anyway.
const cancelWait = 5 * time.Second

// DialError is a failed outbound call: the final SIP status the trunk
// answered (e.g. 486 Busy Here), or a status standing for a local failure
// (408 for no answer, 487 when the dial was canceled, 488 for an unusable
// SDP answer).
type DialError struct {
	Code   int
	Reason string
	Err    error // the underlying cause, if any (e.g. context.Canceled)
}

// Error implements error.
func (e *DialError) Error() string {
	s := "trunk: dial: " + strconv.Itoa(e.Code) + " " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *DialError) Unwrap() error { return e.Err }

// SIPStatus returns the SIP status code and reason phrase.
func (e *DialError) SIPStatus() (int, string) { return e.Code, e.Reason }

// validNumber reports whether to can be a Request-URI user part.
func validNumber(to string) bool {
	if to == "" || len(to) > 64 {
		return false
	}
	for _, r := range to {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case strings.ContainsRune("+*-_.!~", r):
		default:
			return false
		}
	}
	return true
}

// Dial places an outbound call to the number to through the carriers that
// take it (carriers.go: longest matching prefix, then priority), From user
// from ("" means "switchboard"; a carrier's CallerID replaces an empty
// from only through DialRequest), with leg.Offer() as the SDP offer.
// It is DialRequest with To and User set.
func (t *Trunk) Dial(ctx context.Context, to, from string, leg *rtpleg.Leg, onProgress func(code int)) (*Call, error) {
	return t.DialRequest(ctx, DialRequest{To: to, User: from}, leg, onProgress)
}

// DialRequest says whom to call and who calls.
type DialRequest struct {
	To       string // the number (Request-URI user)
	CallerID string // the caller's own caller ID; "" means the carrier's CallerID, then User
	User     string // From user when neither has a caller ID (an extension); "" means "switchboard"
}

// DialRequest places an outbound call (PROTOCOL §9). Start the leg before
// dialling so early media flows. The carriers that take req.To are tried
// in order; a 408, a 5xx, a 6xx other than 603, a transport error, a
// carrier at its MaxCalls, or no response at all within
// Config.NoAnswerTimeout moves on to the next; other 4xx and 603 are
// final. The From user is req.CallerID, else the carrier's CallerID,
// else req.User.
//
// Provisional responses (100, 180, 183) are passed to onProgress (may be
// nil) on the calling goroutine; a 183 with SDP and the 200 OK apply the
// answer to leg, so early media reaches it before the answer. A 401/407
// challenge is answered once with the carrier's Username/Password
// (digest). It returns once the 200 OK is ACKed (retransmitted 200s are
// re-ACKed), with a *Call whose Outbound() is true. It fails with
// *DialError carrying the last final status; cancelling ctx before the
// answer sends CANCEL (the error then wraps ctx's error, code 487). ctx
// ends only the dialling: an answered call lasts until Hangup or the
// remote's BYE.
//
// The call owns leg from here on: it is closed when the call ends, and
// also when the dial fails.
func (t *Trunk) DialRequest(ctx context.Context, req DialRequest, leg *rtpleg.Leg, onProgress func(code int)) (*Call, error) {
	if leg == nil {
		return nil, errors.New("trunk: dial: nil leg")
	}
	to := req.To
	if !validNumber(to) {
		leg.Close()
		return nil, &DialError{Code: 484, Reason: "Address Incomplete", Err: fmt.Errorf("invalid number %q", to)}
	}
	all := t.carrierList()
	if len(all) == 0 {
		leg.Close()
		return nil, ErrNoOutbound
	}
	cands := selectCarriers(all, to)
	if len(cands) == 0 {
		leg.Close()
		return nil, &DialError{Code: 404, Reason: "Not Found", Err: fmt.Errorf("no trunk takes %q", to)}
	}
	var last error
	for i, car := range cands {
		if ctx.Err() != nil {
			break
		}
		sl := takeSlot(car)
		if sl == nil {
			last = &DialError{Code: 503, Reason: "Service Unavailable", Err: fmt.Errorf("trunk %s at max_calls %d", car.cfg.ID, car.cfg.MaxCalls)}
			t.log.Info("trunk at max_calls: next", "carrier", car.cfg.ID)
			continue
		}
		from := req.CallerID
		if from == "" {
			from = car.cfg.CallerID
		}
		if from == "" {
			from = req.User
		}
		c, err := t.dialCarrier(ctx, car, sl, to, from, leg, onProgress)
		if err == nil {
			car.out.Add(1)
			return c, nil
		}
		sl.release()
		last = err
		if !failsOver(err) || i == len(cands)-1 {
			break
		}
		t.log.Info("dial failed over", "carrier", car.cfg.ID, "next", cands[i+1].cfg.ID, "err", err)
	}
	leg.Close()
	if last == nil {
		last = &DialError{Code: 487, Reason: "Request Terminated", Err: ctx.Err()}
	}
	return nil, last
}

// failsOver reports whether a failed attempt moves on to the next carrier
// (PROTOCOL §9): 408, 5xx, 6xx but 603, and transport errors (503 with a
// cause); not 487 (we canceled) nor other 4xx.
func failsOver(err error) bool {
	de, ok := errors.AsType[*DialError](err)
	if !ok {
		return false
	}
	switch {
	case de.Code == 408, de.Code >= 500 && de.Code < 600:
		return true
	case de.Code >= 600:
		return de.Code != 603
	}
	return false
}

// CarrierFromURI makes a Carrier from a trunk URI such as
// sip:carrier.example.net:5060;transport=udp (the -trunk flag).
func CarrierFromURI(id, uri string) (Carrier, error) {
	var u sip.Uri
	if err := sip.ParseUri(uri, &u); err != nil {
		return Carrier{}, fmt.Errorf("trunk: outbound URI %q: %w", uri, err)
	}
	c := Carrier{ID: id, Host: u.Host, Port: u.Port, Transport: "udp"}
	if u.UriParams != nil {
		if v, ok := u.UriParams.Get("transport"); ok && v != "" {
			c.Transport = strings.ToLower(v)
		}
	}
	if u.Scheme == "sips" {
		c.Transport = "tls"
	}
	return c, nil
}

// dialCarrier sends one INVITE to one carrier. On failure the leg stays
// open (the caller may try the next carrier with it).
func (t *Trunk) dialCarrier(ctx context.Context, car *carrier, sl *slot, to, from string, leg *rtpleg.Leg, onProgress func(code int)) (*Call, error) {
	if !validNumber(from) {
		from = "switchboard"
	}
	if from == "" {
		from = "switchboard"
	}
	transport := car.cfg.transport()
	dua := t.dialogUAFor(transport)
	host := car.cfg.Host
	recipient := sip.Uri{Scheme: "sip", User: to, Host: host, Port: car.cfg.port()}
	if transport != "udp" {
		recipient.UriParams = sip.NewParams()
		recipient.UriParams.Add("transport", transport)
	}
	req := sip.NewRequest(sip.INVITE, recipient)
	req.SetTransport(strings.ToUpper(transport))
	fromHdr := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: from, Host: t.host}, Params: sip.NewParams()}
	fromHdr.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(fromHdr)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: to, Host: host}, Params: sip.NewParams()})
	req.AppendHeader(sip.HeaderClone(&dua.ContactHDR))
	req.AppendHeader(sip.NewHeader("Allow", allowMethods))
	req.AppendHeader(sip.NewHeader("Supported", supportedOptions))
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	leg.SetSRTPPolicy(car.srtpPolicy())
	req.SetBody(leg.Offer())

	waitCtx, waitCancel := context.WithCancel(ctx)
	c := t.newCall(leg)
	c.number, c.from, c.fromURI, c.outbound, c.cancel = to, from, fromHdr.Address.String(), true, waitCancel
	c.keepLeg.Store(true) // until answered: a failed attempt leaves the leg to the next carrier
	if ap, err := netip.ParseAddr(host); err == nil {
		c.remote = netip.AddrPortFrom(ap.Unmap(), uint16(car.cfg.port()))
	}
	c.slot = sl
	dlg, err := dua.WriteInvite(waitCtx, req)
	if err != nil {
		waitCancel()
		return nil, &DialError{Code: 503, Reason: "Service Unavailable", Err: fmt.Errorf("send invite to %s: %w", car.cfg.ID, err)}
	}
	c.cliDlg = dlg
	c.id = callID(req)
	c.dialogID = "dial:" + c.id // until the answer gives the remote tag
	c.log = t.log.With("sip_call_id", c.id, "number", to, "direction", "outbound", "carrier", car.cfg.ID)
	if !t.addCall(c) {
		c.closeFinal()
		c.end("shutdown")
		return nil, ErrClosed
	}
	c.log.Info("dialling", "uri", recipient.String(), "rtp", leg.String())
	leg.OnDTMF(c.fireDTMF)
	// Ringing can last long without RTP: the inactivity timeout counts
	// from the answer.
	leg.SetHold(true)

	// No response at all within NoAnswerTimeout: try the next carrier.
	noAnswer := t.cfg.NoAnswerTimeout
	if noAnswer <= 0 {
		noAnswer = 32 * time.Second
	}
	var silent atomic.Bool
	// Nothing to CANCEL before a provisional (RFC 3261 §9.1): sipgo's
	// force-cancel cause makes WaitAnswer return at once.
	attemptCtx, forceCancel := context.WithCancelCause(waitCtx)
	defer forceCancel(nil)
	silence := time.AfterFunc(noAnswer, func() { silent.Store(true); forceCancel(sipgo.WaitAnswerForceCancelErr) })
	err = dlg.WaitAnswer(attemptCtx, sipgo.AnswerOptions{
		Username: car.cfg.Username,
		Password: car.cfg.Password,
		OnResponse: func(res *sip.Response) error {
			silence.Stop()
			c.onDialResponse(res, onProgress)
			return nil
		},
	})
	silence.Stop()
	if err != nil && silent.Load() && ctx.Err() == nil {
		c.dialFailed(ctx, err)
		return nil, &DialError{Code: 408, Reason: "Request Timeout", Err: fmt.Errorf("no response from %s within %s", car.cfg.ID, noAnswer)}
	}
	if err != nil {
		return nil, c.dialFailed(ctx, err)
	}
	res := dlg.InviteResponse
	c.keepLeg.Store(false) // answered: the call owns the leg
	if err := c.dlgAnswered(res); err != nil {
		leg.Close()
		return nil, err
	}
	c.log.Info("call answered", "setup_ms", time.Since(c.started).Milliseconds(), "rtp", leg.String())
	return c, nil
}

// onDialResponse handles a response to our INVITE (on Dial's goroutine).
func (c *Call) onDialResponse(res *sip.Response, onProgress func(int)) {
	switch {
	case res.IsProvisional():
		c.prackOutbound(res) // RFC 3262 (prack.go)
		st := StateOffered
		switch {
		case res.StatusCode == 183 || (res.StatusCode > 100 && len(res.Body()) > 0):
			st = StateEarly
		case res.StatusCode == 180:
			st = StateRinging
		}
		if len(res.Body()) > 0 && res.StatusCode > 100 {
			c.mu.Lock()
			applied := c.earlySDP
			c.mu.Unlock()
			// RFC 3261 §13.2.1: the first answer counts; later copies
			// (other 18x, the 200) must be the same.
			if !applied {
				if err := c.leg.SetAnswer(res.Body()); err != nil {
					c.log.Warn("early media sdp refused", "code", res.StatusCode, "err", err)
					st = StateRinging
				} else {
					c.mu.Lock()
					c.earlySDP = true
					c.mu.Unlock()
				}
			}
		}
		c.mu.Lock()
		if c.state < st && c.state != StateEnded {
			c.state = st
		}
		c.mu.Unlock()
		if onProgress != nil {
			onProgress(res.StatusCode)
		}
	case res.IsSuccess():
		// Key the call by its dialog now, so a BYE racing our ACK finds it.
		// Incoming requests are looked up as UAS: Call-ID, our tag, theirs.
		if id, ok := outboundDialogID(res); ok {
			c.t.rekey(c, id)
		}
	}
}

// outboundDialogID returns the dialog ID as DialogIDFromRequestUAS computes
// it for requests the remote sends us in this dialog.
func outboundDialogID(res *sip.Response) (string, bool) {
	cid, from, to := res.CallID(), res.From(), res.To()
	if cid == nil || from == nil || to == nil {
		return "", false
	}
	ours, ok1 := from.Params.Get("tag")
	theirs, ok2 := to.Params.Get("tag")
	if !ok1 || !ok2 {
		return "", false
	}
	return sip.DialogIDMake(cid.Value(), ours, theirs), true
}

// dlgAnswered ACKs the 200 OK, applies its SDP and starts the call.
func (c *Call) dlgAnswered(res *sip.Response) error {
	dlg := c.cliDlg
	// RFC 3261 §13.2.2.4: ACK every 2xx; sipgo re-sends this ACK for each
	// retransmitted 200 while the transaction is in the Accepted state.
	if err := dlg.Ack(context.Background()); err != nil {
		c.closeFinal()
		c.end("ack failed")
		return &DialError{Code: 500, Reason: "Server Internal Error", Err: fmt.Errorf("ack: %w", err)}
	}
	sdpErr := error(nil)
	c.mu.Lock()
	early := c.earlySDP
	c.mu.Unlock()
	if len(res.Body()) > 0 && !early {
		sdpErr = c.leg.SetAnswer(res.Body())
	} else if c.leg.Codec() == media.CodecUnknown {
		sdpErr = errors.New("200 OK without SDP answer")
	}
	c.mu.Lock()
	c.final = true
	if c.state != StateEnded {
		c.state = StateAnswered
	}
	c.mu.Unlock()
	c.closeFinal()
	if sdpErr != nil {
		// Confirmed dialog we cannot use: hang it up (RFC 3264 §5).
		c.log.Warn("answer sdp refused: hanging up", "err", sdpErr)
		infoIf(c.log, c.Hangup("bad answer sdp"), "hangup failed", "reason", "bad answer sdp")
		code, reason := statusOf(sdpErr, 488, "Not Acceptable Here")
		return &DialError{Code: code, Reason: reason, Err: sdpErr}
	}
	c.leg.SetHold(false)
	c.negotiateOutbound(res) // RFC 4028 (timers.go)
	c.startSessionTimer()
	c.t.calls.Go(func() { c.t.monitorOutbound(c) })
	return nil
}

// dialFailed ends a call whose INVITE got no 2xx and returns Dial's error.
func (c *Call) dialFailed(ctx context.Context, err error) error {
	dlg := c.cliDlg
	// A 200 may have crossed our CANCEL: confirm then end that dialog.
	if res := dlg.InviteResponse; res != nil && res.IsSuccess() {
		c.log.Info("answer crossed cancel: ack and bye")
		if aerr := dlg.Ack(context.Background()); aerr == nil {
			c.mu.Lock()
			c.state = StateAnswered
			c.mu.Unlock()
			infoIf(c.log, c.bye(), "bye after the crossed answer failed")
		}
	}
	c.mu.Lock()
	c.final = true
	c.mu.Unlock()
	c.closeFinal()
	var derr *DialError
	switch de, ok := errors.AsType[*sipgo.ErrDialogResponse](err); {
	case ok:
		derr = &DialError{Code: de.Res.StatusCode, Reason: de.Res.Reason}
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		cause := err
		if ctx.Err() != nil {
			cause = ctx.Err()
		}
		derr = &DialError{Code: 487, Reason: "Request Terminated", Err: cause}
	default:
		if res := dlg.InviteResponse; res != nil && res.StatusCode >= 300 {
			derr = &DialError{Code: res.StatusCode, Reason: res.Reason, Err: err}
		} else {
			derr = &DialError{Code: 408, Reason: "Request Timeout", Err: err}
		}
	}
	reason := ReasonRejected
	if derr.Code == 487 {
		reason = ReasonCanceled
	}
	c.end(reason)
	c.log.Info("dial failed", "code", derr.Code, "reason", derr.Reason, "err", err)
	return derr
}

// monitorOutbound ends an answered outbound call when its dialog or leg ends.
func (t *Trunk) monitorOutbound(c *Call) {
	select {
	case <-c.done:
	case <-c.cliDlg.Context().Done():
		c.end(ReasonRemoteHangup)
	case <-c.leg.Done():
		c.legEnded()
	}
}

// legEnded hangs up c after its RTP leg ended: ReasonRTPTimeout when no
// media came in time, "media closed" otherwise. Shared by both monitors.
// A Hangup error (the BYE failed) is logged: the call has ended either way.
func (c *Call) legEnded() {
	reason := "media closed"
	if errors.Is(c.leg.Err(), rtpleg.ErrTimeout) {
		c.log.Warn("rtp timeout: hanging up")
		reason = ReasonRTPTimeout
	}
	if err := c.Hangup(reason); err != nil {
		c.log.Warn("hangup after the media ended", "reason", reason, "err", err)
	}
}

// hangupOutbound ends an outbound call: BYE once answered; before that the
// dial is canceled (sipgo sends CANCEL) and Hangup waits, at most
// cancelWait, for Dial to settle (a 200 crossing the CANCEL gets BYE).
func (c *Call) hangupOutbound() error {
	c.cancel()
	t := time.NewTimer(cancelWait)
	defer t.Stop()
	select {
	case <-c.finalSent:
	case <-c.done:
		return nil
	case <-t.C:
		return nil
	}
	return c.bye()
}
