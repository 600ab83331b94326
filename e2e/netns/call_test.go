package netns

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/media"
	"switchboard/media/tone"
)

// call is one carrier call through Kamailio: a SIP dialog of the shared
// trunkclient and a plain RTP socket sending callerHz.
type call struct {
	n    int
	from string

	callerHeard atomic.Int64 // frames of agentHz the caller heard
	agentHeard  atomic.Int64 // frames of callerHz the agent heard

	mu       sync.Mutex // guards following
	start    time.Time
	answered time.Time // the 200 OK
	node     string    // the node that answered (its -media-ip in the SDP answer)
	agent    *agent
	agentNd  string // the agent's node when offered
	agentID  string // the call id the agent knows
	accepted bool   // the agent's reservation ended accepted
	acceptEr error
	failure  string // "" when it talked both ways and the caller hung up
	lostBye  bool   // the gateway hung up (BYE) before both ways were heard
	done     time.Time
}

func (cl *call) offered(a *agent, agentCall string) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.agent, cl.agentNd, cl.agentID = a, a.node.id, agentCall
}

// taken: the agent's reservation of the call ended accepted.
func (cl *call) taken() {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.accepted = true
}

func (cl *call) agentCall() string {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.agentID
}

func (cl *call) acceptFailed(err error) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.acceptEr = err
}

// callFrom is the test's call with From user from.
func (c *clusterT) callFrom(from string) *call {
	v, ok := c.calls.Load(from)
	if !ok {
		return nil
	}
	return v.(*call)
}

// shape is how a call talks: limit bounds the time from the answer to
// both ways heard; the caller hangs up once both ways are heard and talk
// has passed since the answer, or, when hold is not nil, once hold closes.
type shape struct {
	limit, talk time.Duration
	hold        <-chan struct{}
}

// brief is the smoke and config calls' shape: hang up once both ways are heard.
var brief = shape{limit: 10 * time.Second}

// inviteLimit bounds the wait for a final answer to the INVITE.
const inviteLimit = 20 * time.Second

// place runs call n to number at to (Kamailio, or a node): INVITE, RTP
// both ways until each side has heard the other's tone, BYE (see shape).
func (c *clusterT) place(ctx context.Context, n int, number string, to netip.AddrPort, sh shape) *call {
	cl := &call{n: n, from: "c" + strconv.Itoa(n), start: time.Now()}
	c.calls.Store(cl.from, cl)
	fail := func(format string, args ...any) *call {
		cl.mu.Lock()
		cl.failure, cl.done = fmt.Sprintf(format, args...), time.Now()
		cl.mu.Unlock()
		return cl
	}
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(hostLoad.ip), 0)))
	if err != nil {
		return fail("rtp socket: %v", err)
	}
	defer conn.Close()
	port := conn.LocalAddr().(*net.UDPAddr).Port
	offer := fmt.Appendf(nil, "v=0\r\no=carrier %d 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"+
		"a=ptime:20\r\na=sendrecv\r\n", port, hostLoad.ip, hostLoad.ip, port)
	ictx, cancel := context.WithTimeout(ctx, inviteLimit)
	dlg, err := c.sip.Call(ictx, to, number, cl.from, offer)
	cancel()
	if err != nil {
		return fail("invite: %v", err)
	}
	remote, err := rtpAddr(dlg.AnswerSDP())
	if err != nil {
		_ = dlg.Bye(context.Background()) // best effort
		return fail("answer: %v", err)
	}
	cl.mu.Lock()
	cl.node, cl.answered = c.nodeByIP(remote.Addr().String()), time.Now()
	answered := cl.answered
	cl.mu.Unlock()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { sendRTP(conn, remote, stop) })
	wg.Go(func() { cl.receive(conn) })
	defer func() {
		close(stop)
		_ = conn.Close()
		wg.Wait()
	}()
	deadline := time.NewTimer(sh.limit)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for cl.callerHeard.Load() < heardFrames || cl.agentHeard.Load() < heardFrames || time.Since(answered) < sh.talk {
		select {
		case <-dlg.Done():
			cl.mu.Lock()
			cl.lostBye = true
			cl.mu.Unlock()
			return fail("the gateway hung up after %v (caller heard %d, agent heard %d frames)",
				time.Since(cl.start).Round(time.Millisecond), cl.callerHeard.Load(), cl.agentHeard.Load())
		case <-deadline.C:
			_ = dlg.Bye(context.Background())
			return fail("no audio both ways within %v (caller heard %d, agent heard %d frames)", sh.limit, cl.callerHeard.Load(), cl.agentHeard.Load())
		case <-tick.C:
		}
	}
	if sh.hold != nil {
		select {
		case <-sh.hold:
		case <-dlg.Done():
			return fail("the gateway hung up a held call after %v", time.Since(cl.start).Round(time.Millisecond))
		}
	}
	bctx, bcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer bcancel()
	if err := dlg.Bye(bctx); err != nil && !errors.Is(err, context.Canceled) {
		return fail("bye: %v", err)
	}
	cl.mu.Lock()
	cl.done = time.Now()
	cl.mu.Unlock()
	return cl
}

// sendRTP sends callerHz to remote every 20 ms until stop.
func sendRTP(conn *net.UDPConn, remote netip.AddrPort, stop chan struct{}) {
	frame := toneFrame(callerHz)
	var pkt [12 + media.FrameSamples]byte
	pkt[0], pkt[1] = 0x80, media.PCMU.PayloadType()
	seq, ts, ssrc := uint16(rand.Uint32()), rand.Uint32(), rand.Uint32()
	binary.BigEndian.PutUint32(pkt[8:], ssrc)
	copy(pkt[12:], frame)
	tick := time.NewTicker(media.FrameDuration)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		binary.BigEndian.PutUint16(pkt[2:], seq)
		binary.BigEndian.PutUint32(pkt[4:], ts)
		seq++
		ts += media.FrameSamples
		_, _ = conn.WriteToUDPAddrPort(pkt[:], remote) // a dead node: nothing to do
	}
}

// receive counts the frames of agentHz the caller hears.
func (cl *call) receive(conn *net.UDPConn) {
	var buf [1500]byte
	var pcm [1500]int16
	for {
		n, _, err := conn.ReadFromUDPAddrPort(buf[:])
		if err != nil {
			return
		}
		b := buf[:n]
		if n < 12 || b[0]>>6 != 2 {
			continue
		}
		off := 12 + 4*int(b[0]&0x0f)
		if b[0]&0x10 != 0 && n >= off+4 {
			off += 4 + 4*int(binary.BigEndian.Uint16(b[off+2:]))
		}
		codec := media.CodecForPayloadType(b[1] & 0x7f)
		if off >= n || (codec != media.PCMU && codec != media.PCMA) {
			continue
		}
		if tone.Classify(media.Decode(codec, pcm[:], b[off:n]), agentHz) == tone.VerdictTone {
			cl.callerHeard.Add(1)
		}
	}
}

// rtpAddr is the audio address of an SDP answer (c= and m=audio).
func rtpAddr(sdp []byte) (netip.AddrPort, error) {
	var addr netip.Addr
	var port int
	for line := range bytes.SplitSeq(sdp, []byte("\n")) {
		line = bytes.TrimSpace(line)
		switch {
		case bytes.HasPrefix(line, []byte("c=IN IP4 ")):
			addr, _ = netip.ParseAddr(string(bytes.TrimSpace(line[9:])))
		case bytes.HasPrefix(line, []byte("m=audio ")):
			if f := bytes.Fields(line); len(f) > 1 {
				port, _ = strconv.Atoi(string(f[1]))
			}
		}
	}
	if !addr.IsValid() || port <= 0 || port > 65535 {
		return netip.AddrPort{}, fmt.Errorf("no audio address in %q", sdp)
	}
	return netip.AddrPortFrom(addr, uint16(port)), nil
}
