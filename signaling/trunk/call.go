package trunk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"switchboard/media/rtpleg"
)

// State is where a call is in its life.
type State int

// Call states.
const (
	StateUnknown  State = iota
	StateOffered        // INVITE received (or sent), no final response yet
	StateRinging        // 180 sent (or received)
	StateEarly          // 183 with SDP sent (or received): early media
	StateAnswered       // 200 OK sent and ACKed (or received)
	StateEnded          // over
)

func (s State) String() string {
	switch s {
	case StateOffered:
		return "offered"
	case StateRinging:
		return "ringing"
	case StateEarly:
		return "early"
	case StateAnswered:
		return "answered"
	case StateEnded:
		return "ended"
	}
	return "unknown"
}

// End reasons reported by Call.EndReason.
const (
	ReasonRemoteHangup = "remote hangup" // BYE from the trunk side
	ReasonCanceled     = "canceled"      // CANCEL before the answer
	ReasonRTPTimeout   = "rtp timeout"   // no RTP for the leg's timeout
	ReasonNoAck        = "no ack"        // our 200 OK was never ACKed
	ReasonBadAnswer    = "bad answer"    // late offer: the ACK had no usable SDP answer
	ReasonRejected     = "rejected"      // we sent a final error response
)

// byeTimeout bounds how long Hangup waits for the answer to its BYE.
const byeTimeout = 5 * time.Second

// Call is one SIP call on the trunk with its RTP leg. Its methods are safe
// for concurrent use.
type Call struct {
	t        *Trunk
	id       string // Call-ID
	dialogID string
	number   string
	from     string
	fromURI  string
	// callerName and xHeaders are the inbound INVITE's display name and
	// X- headers (attrs.go), set before the call is handed over.
	callerName string
	xHeaders   map[string]string
	remote     netip.AddrPort
	outbound   bool
	leg        *rtpleg.Leg
	log        *slog.Logger
	answer     []byte // our SDP answer to the initial offer (inbound), or our offer (lateOffer)
	// lateOffer: the INVITE carried no SDP, so the 200 carries our offer
	// and the caller's answer comes in the ACK (RFC 3261 §13.2.1), handed
	// over on lateAnswer (buffer 1; onAck drops a second one).
	lateOffer  bool
	lateAnswer chan []byte

	srvDlg   *sipgo.DialogServerSession // inbound
	inviteTx sip.ServerTransaction      // inbound: the initial INVITE's transaction
	cliDlg   *sipgo.DialogClientSession // outbound

	cancel    context.CancelFunc // ends the call's context
	done      chan struct{}      // closed when the call ends
	finalSent chan struct{}      // inbound: closed once the INVITE transaction has its final response (and the 2xx its ACK)
	finalOnce sync.Once
	endOnce   sync.Once
	started   time.Time

	keepLeg atomic.Bool  // outbound, before the answer: end leaves the leg open for the next carrier
	slot    *slot        // the carrier call slot this call holds; nil if none (carriers_calls.go)
	timers  sessionTimer // RFC 4028 session timer (timers.go)
	rel     reliable     // RFC 3262 reliable provisionals (prack.go)

	reinv chan struct{} // 1-slot semaphore: serializes INVITE transactions of the dialog (send to take, receive to release)

	mu        sync.Mutex // guards following
	state     State
	final     bool // a final response was sent (inbound) or received (outbound)
	endReason string
	dtmf      []func(rune)
	held      bool
	ackWait   map[uint32]chan []byte // re-INVITE CSeq -> ACK body
	earlySDP  bool                   // outbound: a provisional response's SDP answer was applied
}

// ID returns the SIP Call-ID.
func (c *Call) ID() string { return c.id }

// Number returns the dialled number: the Request-URI user of an inbound
// call, the called number of an outbound one.
func (c *Call) Number() string { return c.number }

// From returns the caller's user part (usually the number).
func (c *Call) From() string { return c.from }

// CallerName returns the From display name of an inbound call ("" when
// none); the agent core reads it as the call's caller_name attribute.
func (c *Call) CallerName() string { return c.callerName }

// FromURI returns the caller's full From URI.
func (c *Call) FromURI() string { return c.fromURI }

// Remote returns the signalling source (inbound) or destination (outbound).
func (c *Call) Remote() netip.AddrPort { return c.remote }

// Outbound reports whether the call was placed with Dial.
func (c *Call) Outbound() bool { return c.outbound }

// Leg returns the call's RTP leg, already negotiated against the offer.
// The trunk closes it when the call ends.
func (c *Call) Leg() *rtpleg.Leg { return c.leg }

// Done is closed when the call ends: CANCEL or BYE from the caller, RTP
// timeout, a rejection, or our Hangup.
func (c *Call) Done() <-chan struct{} { return c.done }

// EndReason says why the call ended ("" while it runs).
func (c *Call) EndReason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.endReason
}

// State returns the call's state.
func (c *Call) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Held reports whether the remote has put us on hold (its last offer was
// sendonly or inactive).
func (c *Call) Held() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.held
}

// OnDTMF adds fn to the functions called for each DTMF digit the remote
// sends, by RFC 4733 on the leg or by SIP INFO. fn runs on a media or SIP
// goroutine and must not block.
func (c *Call) OnDTMF(fn func(digit rune)) {
	c.mu.Lock()
	c.dtmf = append(c.dtmf, fn)
	c.mu.Unlock()
}

func (c *Call) fireDTMF(d rune) {
	c.mu.Lock()
	fns := c.dtmf
	c.mu.Unlock()
	c.log.Debug("dtmf received", "digit", string(d))
	for _, fn := range fns {
		fn(d)
	}
}

// Ringing sends 180 Ringing.
func (c *Call) Ringing() error {
	return c.provisional(180, "Ringing", nil, StateRinging)
}

// EarlyMedia sends 183 Session Progress with the SDP answer: the leg's
// audio reaches the caller before the answer.
func (c *Call) EarlyMedia() error {
	return c.provisional(183, "Session Progress", c.answer, StateEarly)
}

func (c *Call) provisional(code int, reason string, sdp []byte, st State) error {
	if c.outbound {
		return errors.New("trunk: provisional responses are for inbound calls")
	}
	c.mu.Lock()
	if c.state == StateEnded {
		c.mu.Unlock()
		return ErrCallEnded
	}
	if c.final {
		c.mu.Unlock()
		return ErrAlreadyFinal
	}
	c.mu.Unlock()
	var hdrs []sip.Header
	if sdp != nil {
		hdrs = append(hdrs, sip.NewHeader("Content-Type", "application/sdp"))
	}
	if rel, err := c.sendReliable(code, reason, sdp, hdrs); rel && err != nil {
		return fmt.Errorf("respond %d to call %s reliably: %w", code, c.id, err)
	} else if !rel {
		if err := c.srvDlg.Respond(code, reason, sdp, hdrs...); err != nil {
			return fmt.Errorf("respond %d to call %s: %w", code, c.id, err)
		}
	}
	c.mu.Lock()
	if c.state < st {
		c.state = st
	}
	c.mu.Unlock()
	return nil
}

// claimFinal marks that a final response is being sent; false if one was.
func (c *Call) claimFinal() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.state == StateEnded:
		return ErrCallEnded
	case c.final:
		return ErrAlreadyFinal
	}
	c.final = true
	return nil
}

// Answer sends 200 OK with the SDP answer and waits for the ACK, at most
// 64*T1 (32 s). ctx is checked before sending.
func (c *Call) Answer(ctx context.Context) error {
	if c.outbound {
		return errors.New("trunk: Answer is for inbound calls")
	}
	if err := c.claimFinal(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		c.closeFinal()
		return err
	}
	// RFC 3262 §3: the 2xx follows the PRACK of a reliable provisional.
	if err := c.waitPRACK(); err != nil {
		c.closeFinal()
		c.end(ReasonRejected)
		return fmt.Errorf("answer call %s: %w", c.id, err)
	}
	c.reinv <- struct{}{}
	defer func() { <-c.reinv }()
	// WriteResponse retransmits the 200 until the ACK, for at most 64*T1
	// (RFC 3261 §13.3.1.4); a CANCEL that raced us makes it fail.
	ok := sip.NewSDPResponseFromRequest(c.srvDlg.InviteRequest, c.answer)
	for _, h := range c.okHeaders() { // Allow, Supported, Session-Expires (update.go)
		ok.AppendHeader(h)
	}
	err := c.srvDlg.WriteResponse(ok)
	if err != nil && byeOvertookAck(c.srvDlg.LoadState()) && c.endReasonOr(ReasonRemoteHangup) == ReasonRemoteHangup {
		// The caller's BYE overtook its ACK (both sent at once; sipgo
		// handles them on separate goroutines). A BYE confirms the dialog
		// as well as an ACK does: the call was answered, then hung up.
		c.closeFinal()
		c.log.Info("call answered", "setup_ms", time.Since(c.started).Milliseconds(), "bye_before_ack", true)
		c.end(ReasonRemoteHangup)
		return nil
	}
	if err != nil {
		c.closeFinal()
		if errors.Is(err, sip.ErrTransactionCanceled) {
			// The CANCEL won the race with our 200: sipgo's transaction
			// answered it 200 and the INVITE 487; the caller never got a
			// 200, so this call was cancelled, not left without an ACK.
			c.end(ReasonCanceled)
		} else {
			c.end(ReasonNoAck)
		}
		return fmt.Errorf("answer call %s: %w", c.id, err)
	}
	c.mu.Lock()
	if c.state != StateEnded {
		c.state = StateAnswered
	}
	c.mu.Unlock()
	c.leg.SetHold(false) // the inactivity timeout counts from now (newInboundCall)
	c.closeFinal()       // after the state change: Hangup waits on it, then BYEs
	if c.lateOffer {
		if err := c.applyLateAnswer(); err != nil {
			// RFC 3264 §5: an ACK without a usable answer ends the call.
			c.log.Info("late offer not answered", "err", err)
			infoIf(c.log, c.Hangup(ReasonBadAnswer), "hangup failed", "reason", ReasonBadAnswer)
			return fmt.Errorf("answer call %s: %w", c.id, err)
		}
	}
	c.startSessionTimer()
	c.log.Info("call answered", "setup_ms", time.Since(c.started).Milliseconds(), "late_offer", c.lateOffer)
	return nil
}

// byeOvertookAck reports whether a dialog whose 200 got no ACK (WriteResponse
// failed) was ended by the caller's BYE. sipgo ends the dialog on the BYE;
// an ACK handled a moment later (sipgo handles requests on separate
// goroutines) sets it back to confirmed, so both states mean the BYE came
// (onAck skips the ACK of an ended dialog, but it may have looked first).
// A 200 that failed for any other reason leaves the dialog established.
func byeOvertookAck(st sip.DialogState) bool {
	return st == sip.DialogStateEnded || st == sip.DialogStateConfirmed
}

// applyLateAnswer applies the SDP answer the caller sent in its ACK to our
// offer in the 200 (the ACK was seen before RespondSDP returned).
func (c *Call) applyLateAnswer() error {
	select {
	case body := <-c.lateAnswer:
		if len(body) == 0 {
			return errors.New("ACK carries no SDP answer")
		}
		return c.leg.SetAnswer(body)
	case <-time.After(2 * time.Second):
		return errors.New("no SDP answer after the ACK")
	}
}

// endReasonOr is the reason the call ended, or def while it has none.
func (c *Call) endReasonOr(def string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.endReason == "" {
		return def
	}
	return c.endReason
}

// Reject sends a final error response (code 300-699) and ends the call.
func (c *Call) Reject(code int, reason string) error {
	if code < 300 || code > 699 {
		return fmt.Errorf("trunk: reject with %d: want a code 300-699", code)
	}
	if c.outbound {
		return c.Hangup(reason)
	}
	if err := c.claimFinal(); err != nil {
		return err
	}
	if reason == "" {
		reason = reasonPhrase(code)
	}
	err := c.respondFinal(code, reason)
	c.closeFinal()
	c.end(ReasonRejected)
	if err != nil {
		return fmt.Errorf("reject call %s: %w", c.id, err)
	}
	return nil
}

// Hangup ends the call from our side: BYE if it is answered, else a final
// 480 (inbound) or CANCEL (outbound). reason is logged as the end reason.
func (c *Call) Hangup(reason string) error {
	if reason == "" {
		reason = "local hangup"
	}
	c.mu.Lock()
	st, final := c.state, c.final
	if st != StateEnded && c.endReason == "" {
		c.endReason = reason // visible as soon as the hangup starts
	}
	c.mu.Unlock()
	if st == StateEnded {
		return nil
	}
	var err error
	switch {
	case c.outbound:
		err = c.hangupOutbound()
	case !final && c.claimFinal() == nil:
		err = c.respondFinal(480, "Temporarily Unavailable")
		c.closeFinal()
	default:
		// Answer or Reject may be in flight: let it finish, then BYE.
		select {
		case <-c.finalSent:
		case <-c.done:
		}
		err = c.bye()
	}
	c.end(reason)
	return err
}

func (c *Call) bye() error {
	c.mu.Lock()
	answered := c.state == StateAnswered
	c.mu.Unlock()
	if !answered {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	var err error
	if c.outbound {
		err = c.cliDlg.Bye(ctx)
	} else {
		err = c.srvDlg.Bye(ctx)
	}
	if err != nil {
		return fmt.Errorf("bye call %s: %w", c.id, err)
	}
	return nil
}

func (c *Call) closeFinal() { c.finalOnce.Do(func() { close(c.finalSent) }) }

// end marks the call ended (first reason wins), closes the leg and
// unregisters it.
func (c *Call) end(reason string) {
	c.endOnce.Do(func() {
		c.mu.Lock()
		prev := c.state
		c.state = StateEnded
		if c.endReason == "" {
			c.endReason = reason
		}
		reason = c.endReason
		c.mu.Unlock()
		c.closeFinal()
		close(c.done)
		c.cancel()
		if c.leg != nil && !c.keepLeg.Load() {
			c.leg.Close()
		}
		c.slot.release()
		if c.srvDlg != nil {
			c.srvDlg.Close()
		}
		if c.cliDlg != nil {
			c.cliDlg.Close()
		}
		c.t.removeCall(c)
		c.log.Info("call ended", "reason", reason, "state", prev.String(), "duration_ms", time.Since(c.started).Milliseconds())
	})
}

// reasonPhrase returns the RFC 3261 §21 reason phrase for code.
func reasonPhrase(code int) string {
	switch code {
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 480:
		return "Temporarily Unavailable"
	case 486:
		return "Busy Here"
	case 487:
		return "Request Terminated"
	case 488:
		return "Not Acceptable Here"
	case 500:
		return "Server Internal Error"
	case 503:
		return "Service Unavailable"
	case 603:
		return "Decline"
	}
	return "Call Rejected"
}

// respondFinal sends a final error response on the INVITE transaction,
// which absorbs the ACK and retransmits on its own (RFC 3261 §17.2.1), so
// the call ends now rather than when the ACK arrives.
func (c *Call) respondFinal(code int, reason string) error {
	res := sip.NewResponseFromRequest(c.srvDlg.InviteRequest, code, reason, nil)
	return c.inviteTx.Respond(res)
}
