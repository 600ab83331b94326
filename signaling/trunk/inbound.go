package trunk

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"switchboard/media/rtpleg"
)

// allowMethods is the Allow header value of every 405/501/OPTIONS answer.
const allowMethods = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, PRACK"

// knownMethods are RFC methods we recognize but do not serve: 405, not 501.
var knownMethods = map[string]bool{
	"REGISTER": true, "SUBSCRIBE": true, "NOTIFY": true, "REFER": true, "MESSAGE": true,
	"PRACK": true, "UPDATE": true, "PUBLISH": true,
}

// respond sends a stateful response to req; errors are logged at debug
// (the peer went away: nothing else to do).
func (t *Trunk) respond(req *sip.Request, tx sip.ServerTransaction, code int, reason string, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		t.log.Debug("sip respond", "code", code, "method", req.Method.String(), "err", err)
	}
}

func sourceAddr(req *sip.Request) netip.AddrPort {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func (t *Trunk) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		t.onReInvite(req, tx)
		return
	}
	src := sourceAddr(req)
	log := t.log.With("sip_call_id", callID(req), "source", src.String())
	if !t.allowed(src.Addr()) {
		log.Warn("invite refused: source not allowed")
		t.respond(req, tx, 403, "Forbidden")
		return
	}
	if code, reason, hdrs := checkInvite(req); code != 0 {
		log.Info("invite refused", "code", code, "reason", reason)
		t.respond(req, tx, code, reason, hdrs...)
		return
	}
	if code, reason, hdrs := checkSessionExpires(req); code != 0 { // RFC 4028 §8.1: 422 Min-SE (timers.go)
		log.Info("invite refused", "code", code, "reason", reason)
		t.respond(req, tx, code, reason, hdrs...)
		return
	}
	if t.draining.Load() {
		t.respond(req, tx, 503, "Service Unavailable", sip.NewHeader("Retry-After", "60"))
		return
	}
	inv, merged := t.beginInvite(req) // edges.go
	if merged {
		log.Info("invite refused: merged request")
		t.respond(req, tx, 482, "Loop Detected") // RFC 3261 §8.2.2.2
		return
	}
	defer t.endInvite(req)
	// RFC 3261 §17.2.1: 100 Trying at once, we may take longer than 200 ms.
	t.respond(req, tx, 100, "Trying")
	if inv.isCanceled() {
		// The CANCEL came before this INVITE's handler ran (edges.go): logged
		// as every other INVITE that ends in 487 before it is a call.
		log.Info("invite refused", "err", sip.ErrTransactionCanceled, "detail", "CANCEL before the INVITE was handled")
		t.respond(req, tx, 487, "Request Terminated")
		return
	}

	dlg, err := t.dialogUA(req).ReadInvite(req, tx)
	if err != nil {
		log.Info("invite refused", "err", err)
		if errors.Is(err, errNoContact) || strings.Contains(err.Error(), "Contact") {
			t.respond(req, tx, 400, "Missing Contact")
		} else {
			t.respond(req, tx, 400, "Bad Request")
		}
		return
	}
	t.pinUDPRoute(req) // in-dialog requests leave from the listening port (edges.go)
	leg, err := t.cfg.Media.Open()
	if err != nil {
		log.Error("invite refused: no rtp leg", "err", err)
		infoIf(log, dlg.Respond(503, "Service Unavailable", nil), "response not sent", "code", 503)
		return
	}
	t.applyInboundSRTP(leg, req) // the carrier's srtp policy (carriers_calls.go)
	var answer []byte
	late := len(req.Body()) == 0
	if late {
		answer = leg.Offer() // no offer in the INVITE: ours goes in the 200, the answer in the ACK
	} else {
		answer, err = leg.Answer(req.Body())
	}
	if err != nil {
		leg.Close()
		code, reason := statusOf(err, 488, "Not Acceptable Here")
		log.Info("invite refused: sdp", "code", code, "reason", reason)
		infoIf(log, dlg.Respond(code, reason, nil, sip.NewHeader("Accept", "application/sdp")), "response not sent", "code", code)
		return
	}

	c := t.newInboundCall(req, leg, answer)
	c.setupReliable(req) // Require: 100rel (prack.go)
	if !t.attachInbound(c, req) {
		leg.Close()
		log.Info("invite refused: trunk at max_calls")
		infoIf(log, dlg.Respond(503, "Service Unavailable", nil, sip.NewHeader("Retry-After", "30")), "response not sent", "code", 503)
		return
	}
	c.lateOffer = late
	c.srvDlg = dlg
	c.inviteTx = tx
	c.dialogID = dlg.ID
	if !t.addCall(c) {
		leg.Close()
		infoIf(log, dlg.Respond(503, "Service Unavailable", nil), "response not sent", "code", 503)
		return
	}
	log.Info("call offered", "number", c.number, "from", c.from, "rtp", leg.String())
	ctx, cancel := context.WithCancel(t.baseCtx)
	c.cancel = cancel
	leg.OnDTMF(c.fireDTMF)
	t.calls.Go(func() { t.monitor(c) })
	t.calls.Go(func() { // a CANCEL that raced this INVITE (edges.go)
		select {
		case <-inv.canceled:
			c.cancelEarly()
		case <-c.finalSent:
		case <-c.done:
		}
	})
	t.calls.Go(func() {
		h := t.cfg.Handler
		if h == nil {
			h = HandlerFunc(func(_ context.Context, c *Call) {
				infoIf(c.log, c.Reject(404, "Not Found"), "reject failed", "code", 404)
			})
		}
		h.HandleCall(ctx, c)
		c.mu.Lock()
		final := c.final
		c.mu.Unlock()
		if !final {
			infoIf(c.log, c.Reject(480, "Temporarily Unavailable"), "reject failed", "code", 480)
		}
	})
	// sipgo terminates the transaction when this handler returns: stay
	// until the final response is sent (and a 2xx ACKed) or the call ends.
	select {
	case <-c.finalSent:
	case <-c.done:
	}
}

var errNoContact = errors.New("no Contact header")

func callID(req *sip.Request) string {
	if h := req.CallID(); h != nil {
		return h.Value()
	}
	return ""
}

// newCall is a call on leg in StateOffered, started now, with the
// channels both directions use; the caller fills in the rest.
func (t *Trunk) newCall(leg *rtpleg.Leg) *Call {
	return &Call{
		t:         t,
		leg:       leg,
		done:      make(chan struct{}),
		finalSent: make(chan struct{}),
		started:   time.Now(),
		state:     StateOffered,
		ackWait:   map[uint32]chan []byte{},
		reinv:     make(chan struct{}, 1),
	}
}

func (t *Trunk) newInboundCall(req *sip.Request, leg *rtpleg.Leg, answer []byte) *Call {
	c := t.newCall(leg)
	c.id, c.number, c.remote, c.answer = callID(req), dialled(req), sourceAddr(req), answer
	c.lateAnswer = make(chan []byte, 1)
	// Ringing can last long without RTP (a direct call rings 60 s, and
	// carriers rarely send early media): the inactivity timeout counts from
	// the answer, as for outbound calls. Otherwise a silent caller is ended
	// just as its offer times out, instead of reaching voicemail.
	leg.SetHold(true)
	if f := req.From(); f != nil {
		c.from = f.Address.User
		c.fromURI = f.Address.String()
	}
	c.log = t.log.With("sip_call_id", c.id, "number", c.number)
	c.readAttributes(req) // attrs.go
	return c
}

// monitor ends c when its dialog or leg ends.
func (t *Trunk) monitor(c *Call) {
	dctx := c.srvDlg.Context()
	select {
	case <-c.done:
		return
	case <-dctx.Done():
		switch {
		case errors.Is(context.Cause(dctx), sip.ErrTransactionCanceled):
			c.end(ReasonCanceled)
		case c.State() == StateAnswered:
			c.end(ReasonRemoteHangup)
		default:
			// The INVITE transaction ended before an answer (CANCEL,
			// timeout, or a final response we sent).
			c.mu.Lock()
			final := c.final
			c.mu.Unlock()
			if final {
				// Our own final response: Answer/Reject ends the call.
				select {
				case <-c.finalSent:
				case <-c.done:
					return
				}
				if c.State() == StateAnswered {
					c.end(ReasonRemoteHangup)
				}
				return
			}
			c.end(ReasonCanceled)
		}
	case <-c.leg.Done():
		c.legEnded()
	}
}

// onReInvite answers an in-dialog INVITE (RFC 3261 §14.2, RFC 3264 §8).
func (t *Trunk) onReInvite(req *sip.Request, tx sip.ServerTransaction) {
	c := t.lookup(req)
	if c == nil || (c.srvDlg == nil && c.cliDlg == nil) {
		t.respond(req, tx, 481, "Call/Transaction Does Not Exist")
		return
	}
	// RFC 3261 §14.2: an INVITE while another is in progress gets 491.
	// Wait a little: the previous one may be just finishing.
	wait := time.NewTimer(time.Second)
	select {
	case c.reinv <- struct{}{}:
		wait.Stop()
	case <-wait.C:
		t.respond(req, tx, 491, "Request Pending")
		return
	}
	locked := true
	unlock := func() {
		if locked {
			locked = false
			<-c.reinv
		}
	}
	defer unlock()
	if c.State() != StateAnswered {
		t.respond(req, tx, 491, "Request Pending")
		return
	}
	// Outbound calls: sipgo's client session does not track the remote CSeq.
	if c.srvDlg != nil {
		if err := c.srvDlg.ReadRequest(req, tx); err != nil {
			t.respond(req, tx, 500, "Server Internal Error", sip.NewHeader("Retry-After", "1"))
			return
		}
	}
	t.respond(req, tx, 100, "Trying")
	var body []byte
	offerless := len(req.Body()) == 0
	if offerless {
		body = c.leg.Offer() // we offer in the 200, the answer comes in the ACK
	} else {
		answer, err := c.answerOffer(req.Body()) // update.go
		if err != nil {
			code, reason := statusOf(err, 488, "Not Acceptable Here")
			t.respond(req, tx, code, reason)
			return
		}
		body = answer
	}
	c.refreshed(req) // a re-INVITE refreshes the session timer (RFC 4028)
	seq := req.CSeq().SeqNo
	ack := make(chan []byte, 1)
	c.mu.Lock()
	c.ackWait[seq] = ack
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.ackWait, seq)
		c.mu.Unlock()
	}()
	res := sip.NewSDPResponseFromRequest(req, body)
	for _, h := range c.okHeaders() { // Allow, Supported on every 2xx to an INVITE
		if res.GetHeader(h.Name()) == nil {
			res.AppendHeader(h)
		}
	}
	res.AppendHeader(sip.HeaderClone(&c.t.dialogUA(req).ContactHDR))
	for _, h := range c.sessionHeaders() {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		c.log.Debug("re-invite respond", "err", err)
		return
	}
	// The transaction has its final response: a next re-INVITE may come
	// (RFC 3261 §14.2) while we wait for this one's ACK.
	unlock()
	// RFC 3261 §13.3.1.4: the TU retransmits the 2xx until the ACK.
	interval := sip.T1
	deadline := time.NewTimer(64 * sip.T1)
	defer deadline.Stop()
	retx := time.NewTimer(interval)
	defer retx.Stop()
	for {
		select {
		case b := <-ack:
			if offerless {
				if err := c.leg.SetAnswer(b); err != nil {
					c.log.Warn("re-invite ack answer", "err", err)
				}
			}
			return
		case <-retx.C:
			if req.Transport() != "UDP" {
				continue
			}
			infoIf(c.log, tx.Respond(res), "re-invite 200 not retransmitted")
			interval = min(2*interval, sip.T2)
			retx.Reset(interval)
		case <-deadline.C:
			c.log.Warn("re-invite not acknowledged: hanging up")
			infoIf(c.log, c.Hangup(ReasonNoAck), "hangup failed", "reason", ReasonNoAck)
			return
		case <-c.done:
			return
		}
	}
}

func (t *Trunk) onAck(req *sip.Request, tx sip.ServerTransaction) {
	c := t.lookup(req)
	if c == nil {
		return // stray ACK: nothing to answer (RFC 3261 §17.2.3)
	}
	seq := req.CSeq().SeqNo
	c.mu.Lock()
	ch := c.ackWait[seq]
	c.mu.Unlock()
	if ch != nil {
		select {
		case ch <- req.Body():
		default:
		}
		return
	}
	if c.srvDlg == nil || c.srvDlg.LoadState() == sip.DialogStateEnded {
		return // an ACK after the caller's BYE confirms nothing (byeOvertookAck)
	}
	if c.lateOffer {
		// Before ReadAck, which lets Answer return: the answer is there
		// when Answer looks for it.
		select {
		case c.lateAnswer <- req.Body():
		default: // a retransmitted ACK
		}
	}
	if err := c.srvDlg.ReadAck(req, tx); err != nil {
		c.log.Debug("ack", "err", err)
	}
}

func (t *Trunk) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := t.lookup(req)
	if c == nil {
		t.respond(req, tx, 481, "Call/Transaction Does Not Exist")
		return
	}
	// PROTOCOL §14: a BYE on an early dialog (RFC 3261 §15.1.2) gets 200,
	// and the INVITE its final response, 487.
	if !c.outbound && c.State() != StateAnswered {
		if c.answering() {
			// Our 200 is out (or going out) and its ACK not in yet: the BYE
			// confirms the dialog and ends it. Through sipgo's dialog, so its
			// 200 retransmissions stop and Answer returns now, not after
			// 64*T1 with the agent's accept waiting on it.
			if err := c.srvDlg.ReadBye(req, tx); err != nil {
				t.respond(req, tx, 481, "Call/Transaction Does Not Exist")
				return
			}
			c.end(ReasonRemoteHangup)
			return
		}
		t.respond(req, tx, 200, "OK")
		if !c.cancelEarly() {
			c.end(ReasonRemoteHangup) // answered meanwhile: the BYE ends it
		}
		return
	}
	var err error
	if c.outbound {
		err = c.cliDlg.ReadBye(req, tx)
	} else {
		err = c.srvDlg.ReadBye(req, tx)
	}
	if err != nil {
		t.respond(req, tx, 481, "Call/Transaction Does Not Exist")
		return
	}
	c.end(ReasonRemoteHangup)
}

// onCancel sees only CANCELs that match no INVITE transaction (sipgo's
// transaction layer answers the others with 200 and the INVITE with 487);
// one that raced its INVITE still cancels it (edges.go).
func (t *Trunk) onCancel(req *sip.Request, tx sip.ServerTransaction) {
	if t.raceCancel(req) {
		t.respond(req, tx, 200, "OK")
		return
	}
	t.respond(req, tx, 481, "Call/Transaction Does Not Exist")
}

func (t *Trunk) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	if code, reason, hdrs := checkRequest(req); code != 0 {
		t.respond(req, tx, code, reason, hdrs...)
		return
	}
	if t.draining.Load() {
		// PROTOCOL §14: an SBC probing with OPTIONS stops sending calls.
		t.respond(req, tx, 503, "Service Unavailable", sip.NewHeader("Retry-After", "60"))
		return
	}
	t.respond(req, tx, 200, "OK",
		sip.NewHeader("Allow", allowMethods),
		sip.NewHeader("Accept", "application/sdp, application/dtmf-relay, application/dtmf"),
		sip.NewHeader("Supported", supportedOptions),
	)
}

func (t *Trunk) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	c := t.lookup(req)
	if c == nil {
		t.respond(req, tx, 481, "Call/Transaction Does Not Exist")
		return
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = strings.ToLower(strings.TrimSpace(strings.Split(h.Value(), ";")[0]))
	}
	switch ct {
	case "application/dtmf-relay", "application/dtmf":
		d, ok := parseINFODigit(ct, req.Body())
		if !ok {
			t.respond(req, tx, 400, "Bad DTMF Body")
			return
		}
		c.fireDTMF(d) // before the 200, so digits keep the sender's order
		t.respond(req, tx, 200, "OK")
	case "":
		t.respond(req, tx, 200, "OK") // keep-alive INFO without body
	default:
		t.respond(req, tx, 415, "Unsupported Media Type", sip.NewHeader("Accept", "application/dtmf-relay, application/dtmf"))
	}
}

func (t *Trunk) onNoRoute(req *sip.Request, tx sip.ServerTransaction) {
	allow := sip.NewHeader("Allow", allowMethods)
	if knownMethods[req.Method.String()] {
		t.respond(req, tx, 405, "Method Not Allowed", allow)
		return
	}
	t.respond(req, tx, 501, "Not Implemented", allow)
}
