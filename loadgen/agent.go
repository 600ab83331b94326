package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/loadgen/leanclient"
	"switchboard/media"
	"switchboard/media/webrtcleg/webrtcclient"
	"switchboard/signaling/ws/wsclient"
)

// browserLeg is an agent's (or rtpengine call's) WebRTC side:
// *webrtcclient.Client (AgentClientPion) or *leanclient.Client
// (AgentClientLean).
type browserLeg interface {
	Offer(ctx context.Context) ([]byte, error)
	SetAnswer(answer []byte) error
	Answer(ctx context.Context, offer []byte) ([]byte, error)
	WaitConnected(ctx context.Context) error
	WritePayload(payload []byte, marker bool) error
	Close() error
}

// Agent clients: what plays the browser side (Config.AgentClient).
const (
	// AgentClientLean (the default): loadgen/leanclient, ICE + DTLS-SRTP
	// on the protocol libraries, each leg at its own address on a media
	// loop's shared socket (udpmux), 0 allocations per packet.
	AgentClientLean = "lean"
	// AgentClientPion: one pion PeerConnection per leg (webrtcclient).
	AgentClientPion = "pion"
)

// newBrowserLeg makes a browser-side leg of the run's agent client for
// src, whose frames it sends: a lean leg gets an address on the next
// media loop's Mux, and src is sent on that loop's clock.
func (r *runner) newBrowserLeg(src *source, onPacket func(*media.Packet, time.Time)) (browserLeg, error) {
	li, mux := r.pickLoop()
	src.loop = li
	if r.cfg.AgentClient == AgentClientPion {
		return webrtcclient.New(webrtcclient.Config{Codec: media.PCMU, OnPacket: onPacket})
	}
	return r.lean.New(leanclient.Config{Codec: media.PCMU, OnPacket: onPacket, Mux: mux})
}

// agent is one logged-in agent: websocket session + PeerConnection.
type agent struct {
	id  string
	run *runner
	src *source
	pc  browserLeg
	rpc *wsclient.Client

	cur    atomic.Pointer[call] // call bound to this agent, nil when idle
	offers atomic.Int64
	pcm    [1500]int16 // reader scratch; only the browser leg's reader uses it

	gmu sync.Mutex            // serialises join
	grp atomic.Pointer[group] // Config.Merge: the group new calls join
}

// login connects the agent, negotiates its PeerConnection, starts its tone
// and sets it available.
func (r *runner) login(ctx context.Context, i int, id, password string) (*agent, error) {
	a := &agent{id: id, run: r}
	a.src = &source{freq: agentFreqs[i%len(agentFreqs)], phase: i}
	a.src.offset.Store(int32((i * 7) % probeEvery))
	var err error
	a.pc, err = r.newBrowserLeg(a.src, a.onPacket)
	if err != nil {
		return nil, err
	}
	a.src.write = a.pc.WritePayload
	dial := func(ctx context.Context) (*wsclient.Client, error) {
		return wsclient.Dial(ctx, wsclient.URL(r.cfg.GatewayHTTP, "/ws/agent"), wsclient.Options{LocalAddr: agentAddr(r.cfg.GatewaySIP.Addr(), i), OnNotify: a.onNotify})
	}
	a.rpc, err = loginRetry(ctx, dial, id, password, 100)
	if err != nil {
		_ = a.pc.Close()
		return nil, fmt.Errorf("agent %s: %w", id, err)
	}
	fail := func(err error) (*agent, error) {
		a.close()
		return nil, fmt.Errorf("agent %s: %w", id, err)
	}
	offer, err := a.pc.Offer(ctx)
	if err != nil {
		return fail(err)
	}
	var ans struct {
		SDP string `json:"sdp"`
	}
	if err := a.rpc.Call(ctx, "webrtc.offer", map[string]string{"sdp": string(offer)}, &ans); err != nil {
		return fail(err)
	}
	if err := a.pc.SetAnswer([]byte(ans.SDP)); err != nil {
		return fail(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := a.pc.WaitConnected(cctx); err != nil {
		return fail(err)
	}
	r.pace.add(a.src)
	if err := a.rpc.Call(ctx, "activity.set", map[string]string{"activity": "available"}, nil); err != nil {
		r.pace.remove(a.src)
		return fail(err)
	}
	return a, nil
}

// loginRetry dials a websocket and sends login; while the gateway answers
// "busy" (it checks at most one password per core at once, refuses the
// rest and closes that socket) it closes the socket and dials a new one,
// up to tries attempts, 20–80 ms apart. It returns the logged-in client.
func loginRetry(ctx context.Context, dial func(context.Context) (*wsclient.Client, error), id, password string, tries int) (*wsclient.Client, error) {
	for try := 1; ; try++ {
		c, err := dial(ctx)
		if err != nil {
			return nil, err
		}
		err = c.Call(ctx, "login", map[string]string{"agent": id, "password": password}, nil)
		if err == nil {
			return c, nil
		}
		_ = c.Close()
		if try >= tries || !isBusy(err) {
			return nil, err
		}
		t := time.NewTimer(20*time.Millisecond + rand.N(60*time.Millisecond))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
}

// isBusy reports whether err is the gateway's "busy" login refusal.
func isBusy(err error) bool {
	var e *wsclient.Error
	if errors.As(err, &e) {
		return e.Data != nil && e.Data.Reason == "busy"
	}
	return false
}

// onPacket feeds audio from the gateway to the bound call's agent-side rx.
func (a *agent) onPacket(p *media.Packet, at time.Time) {
	a.run.delivered.Add(1)
	frame := decoded(p.Codec, p.Payload, a.pcm[:])
	if frame == nil {
		return
	}
	if a.run.cfg.Merge {
		if g := a.grp.Load(); g != nil && g.merged.Load() {
			g.agentRx.onPacket(frame, p.SequenceNumber, p.Timestamp, at)
			return
		}
	}
	if c := a.cur.Load(); c != nil {
		c.agentRx.onPacket(frame, p.SequenceNumber, p.Timestamp, at)
	}
}

// onNotify handles gateway notifications on the websocket reader.
func (a *agent) onNotify(method string, params json.RawMessage) {
	switch method {
	case "reservation.created":
		var res struct {
			ID   string `json:"id"`
			Call string `json:"call"`
			From string `json:"from"`
		}
		if json.Unmarshal(params, &res) != nil {
			return
		}
		a.offers.Add(1)
		c := a.run.callByFrom(res.From)
		if c == nil {
			a.run.unknownOffers.Add(1)
			a.run.wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = a.rpc.Call(ctx, "reservation.reject", map[string]string{"reservation": res.ID}, nil)
			})
			return
		}
		c.gwID.Store(&res.Call)
		c.agent.Store(a)
		c.agentRx.bind(c.src.freq, c.src)
		c.callerRx.bind(a.src.freq, a.src)
		if a.run.cfg.Merge {
			a.join(c)
		}
		a.cur.Store(c)
		a.run.wg.Go(func() { a.accept(c, res.ID) })
	case "call.ended", "reservation.ended":
		var ev struct {
			ID     string `json:"id"`
			Reason string `json:"reason"`
		}
		if json.Unmarshal(params, &ev) != nil {
			return
		}
		if method == "reservation.ended" && ev.Reason == "accepted" {
			return
		}
		if c := a.cur.Load(); c != nil && (method == "reservation.ended" || (c.gwID.Load() != nil && *c.gwID.Load() == ev.ID)) {
			a.cur.CompareAndSwap(c, nil)
		}
	}
}

// accept waits the accept delay, then accepts the reservation.
func (a *agent) accept(c *call, res string) {
	// Up to one frame interval of random extra delay keeps the accept from
	// being phase-locked to the agent's 20 ms sender.
	t := time.NewTimer(a.run.cfg.AcceptDelay + rand.N(media.FrameDuration))
	defer t.Stop()
	select {
	case <-t.C:
	case <-a.run.stop:
		return
	}
	c.callerRx.mu.Lock()
	c.callerRx.acceptAt = time.Now()
	c.callerRx.mu.Unlock()
	c.agentRx.mu.Lock()
	c.agentRx.acceptAt = time.Now()
	c.agentRx.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.rpc.Call(ctx, "reservation.accept", map[string]string{"reservation": res}, nil); err != nil {
		c.acceptErr.Store(&err)
		return
	}
	c.callerRx.mu.Lock()
	c.callerRx.acceptOK = time.Now()
	c.callerRx.mu.Unlock()
	if g := c.grp.Load(); g != nil {
		g.onAccepted()
	}
}

// close logs the agent out (closing the socket) and closes its
// PeerConnection.
func (a *agent) close() {
	a.run.pace.remove(a.src)
	if a.rpc != nil {
		_ = a.rpc.Close()
	}
	_ = a.pc.Close()
}

// agentFreqs and callerFreqs are the tones parties send: agents on the
// hundreds, callers halfway between, all well below the 3 kHz probe.
var (
	agentFreqs  = freqs(600, 1800)
	callerFreqs = freqs(650, 1750)
)

func freqs(lo, hi float64) []float64 {
	var f []float64
	for x := lo; x <= hi; x += 100 {
		f = append(f, x)
	}
	return f
}

// agentAddr is the local address agent i's websocket connects from: on a
// loopback gateway, 127.1.x.y, one per agent; otherwise the default.
func agentAddr(gateway netip.Addr, i int) netip.Addr {
	if !gateway.Is4() || !gateway.IsLoopback() {
		return netip.Addr{}
	}
	return netip.AddrFrom4([4]byte{127, 1, byte(i / 250), byte(i%250 + 1)})
}
