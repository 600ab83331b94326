package trunk

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// reliable tracks the reliable provisional responses (RFC 3262) of an
// inbound INVITE that asked for them with Require: 100rel.
type reliable struct {
	mu      sync.Mutex    // guards following
	on      bool          // the INVITE requires 100rel
	rseq    uint32        // last RSeq sent
	pending uint32        // inbound: RSeq awaiting its PRACK, 0 if none; outbound: PRACKs sent
	acked   chan struct{} // closed once pending is PRACKed and the PRACK answered; nil before any
}

// errNoPRACK ends a call whose reliable provisional was never PRACKed.
var errNoPRACK = errors.New("reliable provisional response not acknowledged (no PRACK)")

// setupReliable notes whether the INVITE requires 100rel.
func (c *Call) setupReliable(req *sip.Request) {
	c.rel.mu.Lock()
	c.rel.on = hasOption(req.GetHeaders("Require"), "100rel")
	c.rel.mu.Unlock()
}

// waitPRACK waits until no reliable provisional is unacknowledged (RFC
// 3262 §3: one at a time, and the 2xx after the PRACK), at most 64*T1. It
// waits on acked, not on pending: onPrack clears pending before it answers
// the PRACK, and only then closes acked, so the PRACK's 200 leaves before
// the INVITE's 2xx (seen: the 2xx first, 1 run in 30 under -race).
func (c *Call) waitPRACK() error {
	c.rel.mu.Lock()
	acked := c.rel.acked
	c.rel.mu.Unlock()
	if acked == nil {
		return nil
	}
	tm := time.NewTimer(64 * sip.T1)
	defer tm.Stop()
	select {
	case <-acked:
		return nil
	case <-c.done:
		return ErrCallEnded
	case <-tm.C:
		return errNoPRACK
	}
}

// sendReliable sends a provisional response reliably: Require: 100rel and
// an RSeq, retransmitted from T1 doubling until its PRACK, the final
// response or 64*T1, when the INVITE is rejected with 500 (RFC 3262 §3).
// ok is false when the INVITE did not ask for reliability.
func (c *Call) sendReliable(code int, reason string, body []byte, hdrs []sip.Header) (bool, error) {
	c.rel.mu.Lock()
	on := c.rel.on
	c.rel.mu.Unlock()
	if !on {
		return false, nil
	}
	if err := c.waitPRACK(); err != nil {
		return true, err
	}
	c.rel.mu.Lock()
	c.rel.rseq++
	rseq := c.rel.rseq
	c.rel.pending = rseq
	acked := make(chan struct{})
	c.rel.acked = acked
	c.rel.mu.Unlock()
	hdrs = append(hdrs, sip.NewHeader("Require", "100rel"), sip.NewHeader("RSeq", strconv.FormatUint(uint64(rseq), 10)))
	if err := c.srvDlg.Respond(code, reason, body, hdrs...); err != nil {
		return true, err
	}
	c.t.calls.Go(func() {
		interval := sip.T1
		retx := time.NewTimer(interval)
		defer retx.Stop()
		deadline := time.NewTimer(64 * sip.T1)
		defer deadline.Stop()
		for {
			select {
			case <-acked:
				return
			case <-c.done:
				return
			case <-c.finalSent:
				return
			case <-deadline.C:
				c.log.Warn("no PRACK for a reliable provisional: rejecting", "rseq", rseq)
				infoIf(c.log, c.Reject(500, "No PRACK"), "reject failed", "code", 500)
				return
			case <-retx.C:
				infoIf(c.log, c.srvDlg.Respond(code, reason, body, hdrs...), "reliable provisional not retransmitted", "code", code, "rseq", rseq)
				interval = min(2*interval, sip.T2)
				retx.Reset(interval)
			}
		}
	})
	return true, nil
}

// onPrack acknowledges a reliable provisional response (RFC 3262 §3):
// RAck "RSeq CSeq INVITE" must name the one awaiting its PRACK, else 481.
func (t *Trunk) onPrack(req *sip.Request, tx sip.ServerTransaction) {
	c := t.lookup(req)
	if c == nil || c.srvDlg == nil {
		t.respond(req, tx, 481, "Call/Transaction Does Not Exist")
		return
	}
	rseq, cseq, ok := parseRAck(req)
	inviteSeq := c.srvDlg.InviteRequest.CSeq().SeqNo
	c.rel.mu.Lock()
	match := ok && cseq == inviteSeq && rseq != 0 && rseq == c.rel.pending
	var acked chan struct{}
	if match {
		c.rel.pending = 0
		acked = c.rel.acked
	}
	c.rel.mu.Unlock()
	if !match {
		t.respond(req, tx, 481, "Call/Transaction Does Not Exist")
		return
	}
	// Not passed to sipgo's dialog (ReadRequest): it would take the PRACK's
	// CSeq as the remote one and then ignore the ACK of our 2xx, whose CSeq
	// is the INVITE's (RFC 3261 §13.2.2.4).
	// The PRACK's 200 first, then the INVITE's 2xx waiting on acked may go
	// (the order a UAC most likely expects).
	t.respond(req, tx, 200, "OK")
	close(acked)
}

// parseRAck reads "RAck: 1 314159 INVITE".
func parseRAck(m interface{ GetHeader(string) sip.Header }) (rseq, cseq uint32, ok bool) {
	h := m.GetHeader("RAck")
	if h == nil {
		return 0, 0, false
	}
	f := strings.Fields(h.Value())
	if len(f) != 3 || !strings.EqualFold(f[2], "INVITE") {
		return 0, 0, false
	}
	r, err1 := strconv.ParseUint(f[0], 10, 32)
	s, err2 := strconv.ParseUint(f[1], 10, 32)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return uint32(r), uint32(s), true
}

// prackOutbound acknowledges a reliable provisional response to our
// INVITE (RFC 3262 §4): one PRACK per new RSeq, in order. It runs inside
// WaitAnswer's response callback, where the dialog holds that response,
// and waits for the PRACK's answer on a call goroutine.
func (c *Call) prackOutbound(res *sip.Response) {
	if !hasOption(res.GetHeaders("Require"), "100rel") {
		return
	}
	h := res.GetHeader("RSeq")
	if h == nil {
		return
	}
	n, err := strconv.ParseUint(strings.TrimSpace(h.Value()), 10, 32)
	if err != nil || n == 0 {
		return
	}
	rseq := uint32(n)
	c.rel.mu.Lock()
	fresh := c.rel.rseq == 0 || rseq == c.rel.rseq+1
	if fresh {
		c.rel.rseq = rseq
	}
	c.rel.mu.Unlock()
	if !fresh {
		return // a retransmission (or out of order): no second PRACK
	}
	// Built by hand and sent outside sipgo's dialog object: a PRACK sent
	// through it would move the dialog's CSeq, and sipgo would then give
	// the ACK of the 2xx that CSeq instead of the INVITE's (RFC 3261
	// §13.2.2.4), which a strict UAS ignores. The PRACKs take the CSeq
	// numbers after the INVITE's, so a later BYE or UPDATE reuses the
	// first PRACK's number (not lower, RFC 3261 §12.2.2).
	inv := c.cliDlg.InviteRequest
	target := *inv.Recipient.Clone()
	if ct := res.Contact(); ct != nil {
		target = *ct.Address.Clone()
	}
	prack := sip.NewRequest(sip.PRACK, target)
	prack.AppendHeader(sip.HeaderClone(inv.From()))
	prack.AppendHeader(sip.HeaderClone(res.To()))
	prack.AppendHeader(sip.HeaderClone(inv.CallID()))
	c.rel.mu.Lock()
	c.rel.pending++ // outbound: PRACKs sent
	seq := inv.CSeq().SeqNo + c.rel.pending
	c.rel.mu.Unlock()
	prack.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: sip.PRACK})
	mf := sip.MaxForwardsHeader(70)
	prack.AppendHeader(&mf)
	rr := res.GetHeaders("Record-Route")
	for i := len(rr) - 1; i >= 0; i-- {
		prack.AppendHeader(sip.NewHeader("Route", rr[i].Value()))
	}
	if len(rr) == 0 {
		prack.SetDestination(res.Source()) // symmetric signalling, as the dialog does
	}
	prack.AppendHeader(sip.NewHeader("RAck", fmt.Sprintf("%d %d INVITE", rseq, inv.CSeq().SeqNo)))
	prack.SetTransport(inv.Transport())
	prack.SetBody(nil) // Content-Length: 0
	ctx, cancel := context.WithTimeout(context.Background(), 32*time.Second)
	tx, err := c.t.client.TransactionRequest(ctx, prack, sipgo.ClientRequestAddVia)
	if err != nil {
		cancel()
		c.log.Warn("prack not sent", "err", err)
		return
	}
	c.t.calls.Go(func() {
		defer cancel()
		defer tx.Terminate()
		for {
			select {
			case r := <-tx.Responses():
				if r.IsProvisional() {
					continue
				}
				c.log.Debug("prack answered", "code", r.StatusCode, "rseq", rseq)
				return
			case <-tx.Done():
				return
			case <-ctx.Done():
				return
			case <-c.done:
				return
			}
		}
	})
}
