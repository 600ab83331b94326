package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Targets: what Run drives.
const (
	// TargetSwitchboard drives a Switchboard gateway: agents log in on
	// /ws/agent, the carrier places SIP calls (the default).
	TargetSwitchboard = "switchboard"
	// TargetRTPEngine drives rtpengine over its ng control protocol, as
	// Kamailio's rtpengine module would for a SIP-to-WebRTC call: per call
	// an offer from the plain RTP side, then the browser's answer. The
	// media legs are the same as against Switchboard: the caller's plain
	// RTP socket and one webrtcclient PeerConnection on the browser side,
	// paced by the same pacer and checked by the same receivers.
	TargetRTPEngine = "rtpengine"
)

// rtpengineOfferFlags and rtpengineAnswerFlags are the ng flags of a
// SIP (plain RTP) caller bridged to a WebRTC browser, exactly as issue 18
// lists them.
func rtpengineOfferFlags(d map[string]any) map[string]any {
	d["ICE"] = "force"
	d["DTLS"] = "passive"
	d["SDES"] = []string{"off"}
	d["transport-protocol"] = "UDP/TLS/RTP/SAVPF"
	d["rtcp-mux"] = []string{"require"}
	return d
}

func rtpengineAnswerFlags(d map[string]any) map[string]any {
	d["ICE"] = "remove"
	d["transport-protocol"] = "RTP/AVP"
	return d
}

// rtpeSession is one call's rtpengine session and its browser leg.
type rtpeSession struct {
	r       *runner
	a       *agent
	callID  string
	fromTag string
	once    sync.Once
	err     error
}

func (s *rtpeSession) Done() <-chan struct{} { return nil } // rtpengine never ends a call itself here
func (s *rtpeSession) Close()                { _ = s.Hangup() }

// Hangup deletes the rtpengine session and closes the browser leg.
func (s *rtpeSession) Hangup() error {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, s.err = s.r.ng.call(ctx, map[string]any{"command": "delete", "call-id": s.callID, "from-tag": s.fromTag})
		s.a.close()
	})
	return s.err
}

// setupRTPEngine is setupSIP for TargetRTPEngine: offer (caller's SDP) →
// rtpengine's WebRTC offer → a new browser leg answers it → answer →
// rtpengine's plain RTP answer for the caller. The "accept" of this
// target is the moment the browser's answer is sent (acceptAt), so
// accept→audio includes the browser leg's ICE and DTLS handshakes, which
// rtpengine has no way to do before the call. Setup is offer sent →
// answer's reply.
func (r *runner) setupRTPEngine(ctx context.Context, c *call, start time.Time) (session, callResult) {
	var res callResult
	callID := fmt.Sprintf("sbload-%d-%016x", c.n, rand.Uint64())
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	offer, err := r.ng.call(sctx, rtpengineOfferFlags(map[string]any{
		"command": "offer", "call-id": callID, "from-tag": c.from, "sdp": string(c.offer()),
	}))
	if err != nil {
		return nil, callResult{Failure: "rtpengine offer: " + shortErr(err)}
	}
	sdp, _ := offer["sdp"].(string)
	a := &agent{id: "browser-" + c.from, run: r}
	a.src = &source{freq: agentFreqs[c.n%len(agentFreqs)], phase: c.n * 7}
	a.src.offset.Store(int32((c.n * 7) % probeEvery))
	a.pc, err = r.newBrowserLeg(a.src, a.onPacket)
	if err != nil {
		r.ngDelete(callID, c.from)
		return nil, callResult{Failure: "browser leg: " + shortErr(err)}
	}
	a.src.write = a.pc.WritePayload
	sess := &rtpeSession{r: r, a: a, callID: callID, fromTag: c.from}
	fail := func(why string, err error) (session, callResult) {
		_ = sess.Hangup()
		res.Failure = why + shortErr(err)
		return nil, res
	}
	c.agent.Store(a)
	a.cur.Store(c)
	c.agentRx.bind(c.src.freq, c.src)
	c.callerRx.bind(a.src.freq, a.src)
	remoteOffer := []byte(sdp)
	if r.cfg.AgentClient == AgentClientPion {
		remoteOffer = withMid(remoteOffer)
	}
	answer, err := a.pc.Answer(sctx, remoteOffer)
	if err != nil {
		return fail("browser answer: ", err)
	}
	now := time.Now()
	c.callerRx.mu.Lock()
	c.callerRx.acceptAt = now
	c.callerRx.mu.Unlock()
	c.agentRx.mu.Lock()
	c.agentRx.acceptAt = now
	c.agentRx.mu.Unlock()
	r.pace.add(a.src) // pace.remove in a.close
	reply, err := r.ng.call(sctx, rtpengineAnswerFlags(map[string]any{
		"command": "answer", "call-id": callID, "from-tag": c.from, "to-tag": a.id, "sdp": string(answer),
	}))
	if err != nil {
		return fail("rtpengine answer: ", err)
	}
	c.callerRx.mu.Lock()
	c.callerRx.acceptOK = time.Now()
	c.callerRx.mu.Unlock()
	res.Answered = true
	res.Setup = time.Since(start)
	plain, _ := reply["sdp"].(string)
	r.log.Debug("rtpengine call", "call", callID, "webrtc_offer", sdp, "browser_answer", string(answer), "plain_answer", plain)
	remote, err := parseAnswer([]byte(plain))
	if err != nil {
		return fail("bad SDP answer: ", err)
	}
	c.remote = remote
	return sess, res
}

// withMid adds "a=mid:0" to an SDP whose single media section has no
// mid, and the session-level "a=group:BUNDLE 0": rtpengine's offer has
// neither (without its generate-mid flag, which issue 18's flag list does
// not have) and pion refuses a media section without a mid and rejects
// (port 0) one outside a BUNDLE group.
func withMid(sdp []byte) []byte {
	if bytes.Contains(sdp, []byte("\na=mid:")) {
		return sdp
	}
	i := bytes.Index(sdp, []byte("\nm="))
	if i < 0 {
		return sdp
	}
	j := bytes.IndexByte(sdp[i+1:], '\n')
	if j < 0 {
		return sdp
	}
	at := i + 1 + j + 1
	return slices.Concat(sdp[:i+1], []byte("a=group:BUNDLE 0\r\n"), sdp[i+1:at], []byte("a=mid:0\r\n"), sdp[at:])
}

func (r *runner) ngDelete(callID, fromTag string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = r.ng.call(ctx, map[string]any{"command": "delete", "call-id": callID, "from-tag": fromTag})
}
