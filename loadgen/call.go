package loadgen

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"switchboard/loadgen/udpmux"
	"switchboard/media"
	"switchboard/signaling/trunk/trunkclient"
)

// call is one carrier call: a SIP dialog and a plain RTP socket.
type call struct {
	n    int
	from string
	src  *source

	end    *udpmux.End // its own address on a loop's Mux, read on that loop's clock
	local  netip.AddrPort
	remote netip.AddrPort
	hdr    [12]byte // outgoing RTP header; only the pacer touches it after start
	buf    [12 + media.FrameSamples]byte
	pcm    [1500]int16 // receive scratch (the loop's goroutine)

	delivered *atomic.Int64 // the run's count of RTP packets the target delivered (nil: baseline)
	callerRx  rx            // what the caller hears (the agent's tone)
	agentRx   rx            // what the agent hears (the caller's tone)

	grp atomic.Pointer[group] // Config.Merge: the agent's pair this call is in
	mix mixRx                 // Config.Merge: what the caller hears once merged

	gwID      atomic.Pointer[string]
	agent     atomic.Pointer[agent]
	acceptErr atomic.Pointer[error]
}

// callResult is the outcome of one call.
type callResult struct {
	Answered bool
	Failure  string // empty when the call succeeded
	Setup    time.Duration
	ToAudio  time.Duration // accept → caller hears the agent
	Caller   rxResult      // agent→caller direction
	Agent    rxResult      // caller→agent direction
	Bridged  bool

	// Config.Merge:
	Grouped  bool          // joined an agent's pair
	Slot     int           // 0 or 1 in the pair
	Merged   bool          // the pair's call.merge succeeded
	MergeRPC time.Duration // its round trip
	Mix      mixResult     // what the caller heard while merged
	AgentMix mixResult     // what the agent heard while merged (slot 0 only)
}

// newCall opens call n's RTP address on mux (loop index li) and reads it
// there, counting what arrives in delivered (nil: not counted). An
// address reused from an earlier call may already receive that call's
// packets: everything the reader touches is set before it opens.
func newCall(mux *udpmux.Mux, li, n int, delivered *atomic.Int64) (*call, error) {
	c := &call{n: n, from: "sbload" + strconv.Itoa(n), delivered: delivered}
	c.src = &source{freq: callerFreqs[n%len(callerFreqs)], phase: n * 3, loop: li, write: c.writeRTP}
	c.src.offset.Store(int32((n * 13) % probeEvery))
	c.hdr[0] = 0x80
	c.hdr[1] = media.PCMU.PayloadType()
	binary.BigEndian.PutUint16(c.hdr[2:], uint16(rand.Uint32()))
	binary.BigEndian.PutUint32(c.hdr[4:], rand.Uint32())
	binary.BigEndian.PutUint32(c.hdr[8:], rand.Uint32())
	var err error
	if c.end, err = mux.Open(c.receive); err != nil {
		return nil, err
	}
	c.local = c.end.LocalAddr()
	return c, nil
}

// offer is the caller's SDP offer: PCMU and telephone-event, ptime 20.
func (c *call) offer() []byte {
	p, ip := c.local.Port(), c.local.Addr()
	return fmt.Appendf(nil, "v=0\r\no=sbload %d 1 IN IP4 %s\r\ns=sbload\r\nc=IN IP4 %s\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"+
		"a=ptime:20\r\na=sendrecv\r\n", p, ip, ip, p)
}

// parseAnswer takes the RTP address from an SDP answer (c= and m=audio).
func parseAnswer(sdp []byte) (netip.AddrPort, error) {
	var addr netip.Addr
	var port int
	for _, line := range bytes.Split(sdp, []byte("\n")) {
		line = bytes.TrimSpace(line)
		switch {
		case bytes.HasPrefix(line, []byte("c=IN IP4 ")), bytes.HasPrefix(line, []byte("c=IN IP6 ")):
			a, err := netip.ParseAddr(string(bytes.Fields(line[9:])[0]))
			if err == nil && (!addr.IsValid() || port == 0) {
				addr = a
			}
		case bytes.HasPrefix(line, []byte("m=audio ")) && port == 0:
			f := bytes.Fields(line)
			if len(f) > 1 {
				port, _ = strconv.Atoi(string(f[1]))
			}
		}
	}
	if !addr.IsValid() || port <= 0 || port > 65535 {
		return netip.AddrPort{}, errors.New("sdp answer without audio address")
	}
	return netip.AddrPortFrom(addr, uint16(port)), nil
}

// writeRTP sends one frame to the gateway (called by the pacer only).
func (c *call) writeRTP(payload []byte, marker bool) error {
	seq := binary.BigEndian.Uint16(c.hdr[2:])
	ts := binary.BigEndian.Uint32(c.hdr[4:])
	c.hdr[1] = media.PCMU.PayloadType()
	if marker {
		c.hdr[1] |= 0x80
	}
	n := copy(c.buf[:], c.hdr[:])
	n += copy(c.buf[n:], payload)
	binary.BigEndian.PutUint16(c.hdr[2:], seq+1)
	binary.BigEndian.PutUint32(c.hdr[4:], ts+media.FrameSamples)
	return c.end.Queue(c.buf[:n], c.remote)
}

// receive analyses one packet the gateway sent the caller (the loop's
// goroutine; at is when its batch was read).
func (c *call) receive(b []byte, _ netip.AddrPort, at time.Time) {
	n := len(b)
	if n < 12 || b[0]>>6 != 2 {
		return
	}
	if c.delivered != nil { // nil for the loopback baseline's pairs
		c.delivered.Add(1)
	}
	off := 12 + 4*int(b[0]&0x0f)
	if b[0]&0x10 != 0 && n >= off+4 {
		off += 4 + 4*int(binary.BigEndian.Uint16(b[off+2:]))
	}
	end := n
	if b[0]&0x20 != 0 && n > 0 {
		end -= int(b[n-1])
	}
	if off >= end {
		return
	}
	frame := decoded(media.CodecForPayloadType(b[1]&0x7f), b[off:end], c.pcm[:])
	if frame == nil {
		return
	}
	seq, ts := binary.BigEndian.Uint16(b[2:]), binary.BigEndian.Uint32(b[4:])
	if g := c.grp.Load(); g != nil && g.merged.Load() {
		c.mix.onPacket(frame, seq, ts, at)
		return
	}
	c.callerRx.onPacket(frame, seq, ts, at)
}

// place runs one call from INVITE to BYE and returns its outcome.
func (r *runner) place(ctx context.Context, c *call) (res callResult) {
	defer func() {
		res.Caller = c.callerRx.finish()
		res.Agent = c.agentRx.finish()
		if !res.Caller.FirstHeard.IsZero() && !res.Caller.AcceptAt.IsZero() {
			res.ToAudio = res.Caller.FirstHeard.Sub(res.Caller.AcceptAt)
		}
		if g := c.grp.Load(); g != nil {
			g.end()
			res.Grouped, res.Merged, res.Mix = true, g.merged.Load(), c.mix.finish()
			g.mu.Lock()
			if g.calls[1] == c {
				res.Slot = 1
			}
			g.mu.Unlock()
			if res.Merged {
				res.MergeRPC = g.mergeRPC
			}
			if res.Slot == 0 {
				res.AgentMix = g.agentRx.finish()
			}
		}
		if g := c.grp.Load(); res.Failure == "" && r.cfg.Merge {
			switch {
			case !res.Grouped:
				res.Failure = "not offered to an agent"
			case g.mergeErr.Load() != nil:
				res.Failure = "call.merge failed: " + shortErr(*g.mergeErr.Load())
			case !res.Merged:
				res.Failure = "not merged (the agent got no second call)"
			case !res.Mix.Verified:
				res.Failure = "merged caller did not hear both the agent and the other caller"
			case res.Slot == 0 && !res.AgentMix.Verified:
				res.Failure = "merged agent did not hear both callers"
			}
		}
		if res.Failure == "" && !r.cfg.Merge {
			switch {
			case !res.Caller.Verified:
				res.Failure = "caller did not hear the agent's tone"
			case !res.Agent.Verified:
				res.Failure = "agent did not hear the caller's tone"
			}
		}
		if a := c.agent.Load(); a != nil {
			a.cur.CompareAndSwap(c, nil)
		}
	}()
	r.calls.Store(c.from, c)
	defer r.calls.Delete(c.from)
	defer c.end.Close() // waits for a read in progress

	start := time.Now()
	var sess session
	if r.cfg.Target == TargetRTPEngine {
		sess, res = r.setupRTPEngine(ctx, c, start)
	} else {
		sess, res = r.setupSIP(ctx, c, start)
	}
	if sess == nil {
		return res
	}
	r.pace.add(c.src)
	defer r.pace.remove(c.src)

	// Wait for the bridge (the caller hears its agent), then hold.
	bridgeBy := time.NewTimer(r.cfg.BridgeTimeout)
	defer bridgeBy.Stop()
	poll := time.NewTicker(10 * time.Millisecond)
	defer poll.Stop()
	// (With Merge, the merge may come before the caller heard the agent
	// on the fast path: merged counts as bridged.)
	for c.callerRx.heardAt().IsZero() && !c.isMerged() {
		select {
		case <-poll.C:
			continue
		case <-sess.Done():
			res.Failure = "gateway hung up before the bridge"
			sess.Close()
			return res
		case <-bridgeBy.C:
			res.Failure = "no bridge within " + r.cfg.BridgeTimeout.String()
			if c.agent.Load() == nil {
				res.Failure = "no agent offered within " + r.cfg.BridgeTimeout.String()
			} else if e := c.acceptErr.Load(); e != nil {
				res.Failure = "accept failed: " + shortErr(*e)
			}
			_ = sess.Hangup()
			return res
		case <-ctx.Done():
			res.Failure = "stopped before the bridge"
			_ = sess.Hangup()
			return res
		}
	}
	res.Bridged = true
	r.bridged.Add(1)
	defer r.bridged.Add(-1)
	hold := time.NewTimer(r.cfg.Hold)
	defer hold.Stop()
	select {
	case <-hold.C:
	case <-sess.Done():
		res.Failure = "gateway hung up during the call"
		sess.Close()
		return res
	case <-ctx.Done():
	}
	if a := c.agent.Load(); a != nil {
		a.cur.CompareAndSwap(c, nil)
	}
	if g := c.grp.Load(); g != nil {
		g.end() // the first of the pair to end stops the mix measurement
	}
	c.agentRx.finish()
	c.callerRx.finish()
	if err := sess.Hangup(); err != nil {
		res.Failure = "hangup failed: " + shortErr(err)
	}
	return res
}

func (c *call) isMerged() bool {
	g := c.grp.Load()
	return g != nil && g.merged.Load()
}

// session is the signalling side of one placed call: a SIP dialog with
// the gateway, or an rtpengine session.
type session interface {
	Done() <-chan struct{} // the far end ended the call
	Close()                // release after Done
	Hangup() error         // end the call from our side
}

// setupSIP sends the INVITE and takes the RTP address from the answer.
// A nil session means the call failed (res says why).
func (r *runner) setupSIP(ctx context.Context, c *call, start time.Time) (session, callResult) {
	var res callResult
	ictx, cancel := context.WithTimeout(ctx, 32*time.Second)
	dlg, err := r.sip.Call(ictx, r.cfg.GatewaySIP, r.cfg.Number, c.from, c.offer())
	cancel()
	if err != nil {
		if se, ok := errors.AsType[*trunkclient.StatusError](err); ok {
			return nil, callResult{Failure: fmt.Sprintf("INVITE answered %d %s", se.Code, se.Reason)}
		}
		if ctx.Err() != nil {
			return nil, callResult{Failure: "stopped before answer"}
		}
		return nil, callResult{Failure: "INVITE: no answer (" + shortErr(err) + ")"}
	}
	res.Answered = true
	res.Setup = dlg.AnsweredAt.Sub(start)
	remote, err := parseAnswer(dlg.AnswerSDP())
	if err != nil {
		res.Failure = "bad SDP answer"
		_ = r.bye(dlg)
		return nil, res
	}
	c.remote = remote
	return sipSession{r, dlg}, res
}

type sipSession struct {
	r *runner
	d *trunkclient.Dialog
}

func (s sipSession) Done() <-chan struct{} { return s.d.Done() }
func (s sipSession) Close()                { _ = s.d.Close() }
func (s sipSession) Hangup() error         { return s.r.bye(s.d) }

func (r *runner) bye(d *trunkclient.Dialog) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return d.Bye(ctx)
}

func shortErr(err error) string {
	s := err.Error()
	if len(s) > 60 {
		s = s[:60]
	}
	return s
}
