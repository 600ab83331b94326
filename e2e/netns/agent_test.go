package netns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/loadgen/leanclient"
	"switchboard/media"
	"switchboard/media/tone"
	"switchboard/media/webrtcleg/webrtcclient"
	"switchboard/signaling/ws/wsclient"
)

// Tones: every caller sends callerHz, every agent agentHz; each side
// counts the 20 ms frames it hears of the other's tone.
const (
	callerHz = 700.0
	agentHz  = 1500.0
	// heardFrames of the other side's tone (200 ms) make a direction heard.
	heardFrames = 10
	capacity    = 2 // PROTOCOL §5's default
)

// toneFrame is one 20 ms PCMU frame of hz (a whole number of cycles at
// both tones, so repeating it is a continuous tone).
func toneFrame(hz float64) []byte {
	var pcm [media.FrameSamples]int16
	s := tone.Sine{Freq: hz}
	s.Fill(pcm[:])
	return media.Encode(media.PCMU, make([]byte, media.FrameSamples), pcm[:])
}

// agent is one agent session: a websocket on its node and a lean browser
// leg that sends agentHz all the time.
type agent struct {
	c    *clusterT
	id   string
	node *node
	rpc  *wsclient.Client
	leg  browserLeg
	pcm  [1500]int16 // the leg reader's scratch
	cur  atomic.Pointer[call]
	stop chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex        // guards following: the agent's load as its notifications say
	res      map[string]string // live reservations: id → call
	resBy    map[string]string // live reservations: id → caller (From)
	calls    map[string]string // calls it holds: id → caller
	offers   int               // reservation.created notifications
	lost     int               // call.ended reason node_lost notifications
	rona     int               // set unavailable by the gateway (an offer not answered in time)
	notes    []string          // the last notifications, for a violation's message
	activity string            // as the last agent.updated said
}

// browserLeg is an agent's browser leg: a pion PeerConnection
// (webrtcclient) or, with envLean set, a loadgen lean client.
type browserLeg interface {
	Offer(ctx context.Context) ([]byte, error)
	SetAnswer(answer []byte) error
	WaitConnected(ctx context.Context) error
	WritePayload(payload []byte, marker bool) error
	Close() error
}

// newLeg makes an agent's browser leg in the load namespace: its only
// candidate is the namespace's address (no loopback candidate).
func (c *clusterT) newLeg(onPacket func(*media.Packet, time.Time)) (browserLeg, error) {
	if c.pool != nil {
		return c.pool.New(leanclient.Config{IP: netip.MustParseAddr(hostLoad.ip), OnPacket: onPacket})
	}
	return webrtcclient.New(webrtcclient.Config{AnyInterface: true, OnPacket: onPacket})
}

// login logs id in on n, connects its leg and sets it available.
func (c *clusterT) login(ctx context.Context, id string, n *node) (*agent, error) {
	a := &agent{c: c, id: id, node: n, stop: make(chan struct{}), res: map[string]string{}, resBy: map[string]string{}, calls: map[string]string{}}
	var err error
	a.leg, err = c.newLeg(a.onPacket)
	if err != nil {
		return nil, err
	}
	for try := 0; ; try++ {
		a.rpc, err = wsclient.Dial(ctx, wsclient.URL(n.http, "/ws/agent"), wsclient.Options{OnNotify: a.onNotify})
		if err != nil {
			_ = a.leg.Close()
			return nil, fmt.Errorf("agent %s on %s: %w", id, n.id, err)
		}
		err = a.rpc.Call(ctx, "login", map[string]string{"agent": id, "password": "pw-" + id}, nil)
		if err == nil {
			break
		}
		_ = a.rpc.Close()
		var e *wsclient.Error
		if try > 100 || !errors.As(err, &e) || e.Data == nil || e.Data.Reason != "busy" {
			_ = a.leg.Close()
			return nil, fmt.Errorf("agent %s login on %s: %w", id, n.id, err)
		}
		time.Sleep(30 * time.Millisecond) // the node checks one password per core: retry
	}
	if err := a.negotiate(ctx); err != nil {
		a.close()
		return nil, fmt.Errorf("agent %s on %s: %w", id, n.id, err)
	}
	go a.watch()
	return a, nil
}

// watch tells the floor's bookkeeping when the session ends.
func (a *agent) watch() {
	<-a.rpc.Done()
	a.mu.Lock()
	var callers []string
	for _, caller := range a.resBy {
		callers = append(callers, caller)
	}
	for _, caller := range a.calls {
		callers = append(callers, caller)
	}
	a.mu.Unlock()
	a.c.book.gone(a, callers)
}

// negotiate connects the agent's leg through webrtc.offer, starts its
// tone and makes it available.
func (a *agent) negotiate(ctx context.Context) error {
	var ans struct {
		SDP string `json:"sdp"`
	}
	steps := []func() error{
		func() error {
			offer, err := a.leg.Offer(ctx)
			if err == nil {
				err = a.rpc.Call(ctx, "webrtc.offer", map[string]string{"sdp": string(offer)}, &ans)
			}
			return err
		},
		func() error { return a.leg.SetAnswer([]byte(ans.SDP)) },
		func() error {
			cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			return a.leg.WaitConnected(cctx)
		},
		func() error {
			a.wg.Go(a.send)
			return a.rpc.Call(ctx, "activity.set", map[string]string{"activity": "available"}, nil)
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// send plays agentHz every 20 ms until the agent closes.
func (a *agent) send() {
	frame := toneFrame(agentHz)
	tick := time.NewTicker(media.FrameDuration)
	defer tick.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-a.rpc.Done():
			return
		case <-tick.C:
			_ = a.leg.WritePayload(frame, false) // a dead node's leg: nothing to do
		}
	}
}

func (a *agent) close() {
	select {
	case <-a.stop:
	default:
		close(a.stop)
	}
	if a.rpc != nil {
		_ = a.rpc.Close()
	}
	a.wg.Wait()
	_ = a.leg.Close()
}

// onPacket counts the frames of the caller's tone the bound call's agent hears.
func (a *agent) onPacket(p *media.Packet, _ time.Time) {
	cl := a.cur.Load()
	if cl == nil {
		return
	}
	if tone.Classify(media.Decode(p.Codec, a.pcm[:], p.Payload), callerHz) == tone.VerdictTone {
		cl.agentHeard.Add(1)
	}
}

// onNotify keeps the agent's load from its own notifications, checks each
// offer against PROTOCOL §5 (a queue call only at load 0, never above
// capacity) and accepts the offers of the test's calls.
func (a *agent) onNotify(method string, params json.RawMessage) {
	var p struct {
		ID     string `json:"id"`
		Call   string `json:"call"`
		Kind   string `json:"kind"`
		From   string `json:"from"`
		Reason string `json:"reason"`
		State  string `json:"state"`
	}
	if json.Unmarshal(params, &p) != nil {
		a.c.violation("agent %s: %s with unreadable params %s", a.id, method, params)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.notes) == 12 {
		a.notes = append(a.notes[:0], a.notes[1:]...)
	}
	a.notes = append(a.notes, time.Now().Format("15:04:05.000 ")+method+" "+string(params))
	switch method {
	case "reservation.created":
		a.offers++
		load := len(a.res) + len(a.calls)
		if (p.Kind == "queue" && load > 0) || load+1 > capacity {
			a.c.violation("agent %s on %s: offered %s call %s (reservation %s) at load %d (reservations %v, calls %v); its last notifications:\n%s",
				a.id, a.node.id, p.Kind, p.Call, p.ID, load, a.res, a.calls, strings.Join(a.notes, "\n"))
		}
		a.res[p.ID], a.resBy[p.ID] = p.Call, p.From
		a.c.book.offer(a, p.From, p.ID)
		cl := a.c.callFrom(p.From)
		if cl == nil {
			a.c.violation("agent %s: offer from unknown caller %q", a.id, p.From)
			return
		}
		cl.offered(a, p.Call)
		a.cur.Store(cl)
		a.wg.Go(func() { a.accept(cl, p.ID) })
	case "reservation.ended":
		call, ok := a.res[p.ID]
		accepted := ok && p.Reason == "accepted"
		if accepted {
			a.calls[call] = a.resBy[p.ID]
			if cl := a.c.callFrom(a.resBy[p.ID]); cl != nil {
				cl.taken()
			}
		}
		if ok {
			a.c.book.ended(a, a.resBy[p.ID], accepted)
		}
		delete(a.res, p.ID)
		delete(a.resBy, p.ID)
	case "call.ended":
		a.endCall(p.ID)
		if p.Reason == "node_lost" {
			a.lost++
		}
	case "call.updated":
		if p.State == "ended" {
			a.endCall(p.ID)
		}
	case "agent.updated":
		var ag struct {
			Activity string `json:"activity"`
		}
		if json.Unmarshal(params, &ag) != nil {
			break
		}
		was := a.activity
		a.activity = ag.Activity
		if ag.Activity == "unavailable" && was != "unavailable" {
			// An offer rang past its timeout (RONA): the agent, back at
			// the desk, makes itself available again.
			a.rona++
			a.wg.Go(a.available)
		}
	}
}

func (a *agent) available() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = a.rpc.Call(ctx, "activity.set", map[string]string{"activity": "available"}, nil) // a dead session: nothing to do
}

// endCall: the agent's call id ended (a.mu held).
func (a *agent) endCall(id string) {
	if caller, ok := a.calls[id]; ok {
		a.c.book.callEnded(a, caller)
	}
	delete(a.calls, id)
	if cl := a.cur.Load(); cl != nil && cl.agentCall() == id {
		a.cur.CompareAndSwap(cl, nil)
	}
}

func (a *agent) accept(cl *call, res string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.rpc.Call(ctx, "reservation.accept", map[string]string{"reservation": res}, nil); err != nil {
		cl.acceptFailed(err)
	}
}
