package loadgen

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/loadgen/leanclient"
	"switchboard/media"
	"switchboard/signaling/trunk/trunkclient"
)

// Config describes a load run. Zero values mean the defaults noted.
type Config struct {
	// Target is TargetSwitchboard ("" too) or TargetRTPEngine.
	Target string
	// RTPEngineNG is rtpengine's ng control address (UDP); required with
	// TargetRTPEngine, where GatewayPID 0 means the process bound to it.
	RTPEngineNG netip.AddrPort
	// Shape is how the parties' 20 ms frames are timed: ShapePaced ("")
	// or ShapeIndependent (see shape.go).
	Shape string
	// AgentClient plays the browser side: AgentClientLean ("") or
	// AgentClientPion.
	AgentClient string
	// Loops is how many media loops (udploop, one goroutine and one
	// shared socket each, loops.go) read the generator's parties' packets
	// and send their frames; 0 means GOMAXPROCS, at most 4.
	Loops int

	GatewaySIP  netip.AddrPort // gateway SIP address (UDP); required for Switchboard
	GatewayHTTP string         // e.g. http://127.0.0.1:8080; required for Switchboard
	AdminToken  string         // admin console token; required with Seed
	// GatewayPID is the gateway process to read /proc from; 0 means find
	// the local process bound to GatewaySIP's port (none found: no CPU/RSS).
	GatewayPID int

	Seed   bool   // create the queue, the agents and the route over /ws/admin
	Prefix string // id prefix of the seeded queue and agents; "" means "sbload"
	// Number is the dialled number routed to the queue; "" means "7999".
	Number string
	// Agents is how many agents log in; 0 means Calls.
	Agents int
	// AgentIDs, if set, are existing agents to log in (with Passwords)
	// instead of the seeded ones.
	AgentIDs  []string
	Passwords []string

	Calls         int           // maximum concurrent calls; 0 means 10
	Rate          float64       // new calls per second; 0 means 10
	Duration      time.Duration // how long new calls are placed; 0 means 30 s
	Hold          time.Duration // how long a bridged call stays up; 0 means 10 s
	AcceptDelay   time.Duration // how long an agent waits before accepting; 0 means accept at once
	BridgeTimeout time.Duration // max wait from 200 OK to hearing the agent; 0 means 20 s
	// Merge: each agent takes two calls and merges them (call.merge), so
	// both callers and the agent are on the gateway's mixing path. Seeding
	// gives agents capacity 2 and lets the queue offer calls to busy
	// agents; Agents defaults to Calls/2, and exactly Calls calls are
	// placed (one pair per agent), each held for Hold.
	Merge bool
	// Record: seeding puts the queue with record: true (PROTOCOL §12), so
	// every call is recorded by the gateway (needs a gateway -data).
	Record bool

	// Progress receives one line per second; nil means none.
	Progress io.Writer
	Logger   *slog.Logger // nil means slog.Default()
}

func (c *Config) defaults() error {
	if err := oneOf(&c.Target, "target", TargetSwitchboard, TargetRTPEngine); err != nil {
		return err
	}
	if err := oneOf(&c.Shape, "shape", ShapePaced, ShapeIndependent); err != nil {
		return err
	}
	if err := oneOf(&c.AgentClient, "agent client", AgentClientLean, AgentClientPion); err != nil {
		return err
	}
	switch {
	case c.Target == TargetSwitchboard && (!c.GatewaySIP.IsValid() || c.GatewayHTTP == ""):
		return errors.New("loadgen: gateway SIP and HTTP addresses are required")
	case c.Target == TargetRTPEngine && !c.RTPEngineNG.IsValid():
		return errors.New("loadgen: rtpengine's ng address is required")
	case c.Target == TargetRTPEngine && (c.Merge || c.Seed || len(c.AgentIDs) > 0):
		return errors.New("loadgen: -merge, -seed and -agent-ids are for the switchboard target only")
	case c.Shape == ShapeIndependent && c.Merge:
		return errors.New("loadgen: -merge needs the paced shape (its send slots are the pacer's)")
	}
	orDefault(&c.Prefix, "sbload")
	orDefault(&c.Number, "7999")
	orDefault(&c.Calls, 10)
	if c.Merge {
		orDefault(&c.Agents, max(1, c.Calls/2))
	}
	orDefault(&c.Agents, c.Calls)
	orDefault(&c.Rate, 10)
	orDefault(&c.Duration, 30*time.Second)
	orDefault(&c.Hold, 10*time.Second)
	orDefault(&c.BridgeTimeout, 20*time.Second)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Seed && c.AdminToken == "" {
		return errors.New("loadgen: -seed needs the admin token")
	}
	if len(c.AgentIDs) > 0 {
		c.Agents = len(c.AgentIDs)
		if len(c.Passwords) != len(c.AgentIDs) {
			return errors.New("loadgen: one password per agent id")
		}
	}
	return nil
}

// oneOf sets an empty *v to allowed[0] and checks that it is one of
// allowed.
func oneOf(v *string, what string, allowed ...string) error {
	orDefault(v, allowed[0])
	if slices.Contains(allowed, *v) {
		return nil
	}
	return fmt.Errorf("loadgen: unknown %s %q (%s)", what, *v, strings.Join(allowed, " or "))
}

// orDefault sets *v to def when it is zero or negative.
func orDefault[T cmp.Ordered](v *T, def T) {
	var zero T
	if *v <= zero {
		*v = def
	}
}

// runner is the state of one Run.
type runner struct {
	cfg  Config
	log  *slog.Logger
	pace pacer
	sip  *trunkclient.Client
	ng   *ngClient // TargetRTPEngine
	lean *leanclient.Pool
	// loops read every caller's and lean browser leg's address; the pacer
	// sends on their clocks (pacer.go). nextLoop picks them in turn.
	loops    []mediaLoop
	nextLoop atomic.Int64
	stop     chan struct{} // closed when the run ends: pending accepts give up
	wg       sync.WaitGroup

	calls         sync.Map // from user → *call
	bridged       atomic.Int64
	merged        atomic.Int64 // calls in merged groups
	active        atomic.Int64
	placed        atomic.Int64
	placeStart    atomic.Int64 // unix ns when placing began
	placeEnd      atomic.Int64 // unix ns when placing stopped
	done          atomic.Int64
	failed        atomic.Int64
	unknownOffers atomic.Int64
	// delivered counts the RTP packets the target delivered to every
	// caller and agent (audio, before any check).
	delivered atomic.Int64

	mu      sync.Mutex // guards following
	results []callResult
	samples []sample
}

// sample is one per-second reading.
type sample struct {
	At      time.Time
	Gateway procSample
	Self    procSample
	Machine int64 // busy ticks of all cores (/proc/stat)
	Bridged int64
	Merged  int64
	Active  int64
	Placed  int64
	// Delivered is runner.delivered at At.
	Delivered int64
}

func (r *runner) callByFrom(from string) *call {
	if v, ok := r.calls.Load(from); ok {
		return v.(*call)
	}
	return nil
}

// Run seeds (optionally), logs the agents in, places calls for
// cfg.Duration, waits for them to end and returns the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, log: cfg.Logger, pace: pacer{codec: media.PCMU, independent: cfg.Shape == ShapeIndependent}, stop: make(chan struct{})}
	if cfg.AgentClient == AgentClientLean {
		var err error
		if r.lean, err = leanclient.NewPool(); err != nil {
			return nil, err
		}
	}
	if cfg.Merge {
		// The mixer runs on the gateway's own 20 ms clock: spread the
		// sources over 10 send slots 2 ms apart, or every probe would meet
		// it at the same phase and measure one fixed offset.
		r.pace.phases = mergePhases
	}
	var err error
	if r.loops, err = newLoops(cfg.Loops); err != nil {
		return nil, err
	}
	defer closeLoops(r.loops) // last: after every socket on them
	r.pace.start(r.loops)
	defer r.pace.stop()
	if cfg.Target == TargetRTPEngine {
		return r.runRTPEngine(ctx)
	}
	pid := cfg.GatewayPID
	if pid == 0 && cfg.GatewaySIP.Addr().IsLoopback() {
		pid = findUDPOwner(cfg.GatewaySIP)
	}
	rep := &Report{Config: summary(cfg), Failures: map[string]int{}}
	rep.Gateway.PID = pid
	if pid != 0 {
		if s, err := readProc(pid); err == nil {
			rep.Gateway.RSSIdleKiB = s.RSSKiB
		}
	}

	ids, pws := cfg.AgentIDs, cfg.Passwords
	if cfg.Seed {
		var err error
		if ids, pws, err = seed(ctx, cfg); err != nil {
			return nil, err
		}
	}
	if len(ids) == 0 {
		return nil, errors.New("loadgen: no agents (use -seed or give agent ids)")
	}

	r.sip, err = trunkclient.New(trunkclient.Config{Logger: r.log})
	if err != nil {
		return nil, err
	}
	defer r.sip.Close()

	// Log the agents in, a few at a time.
	loginStart := time.Now()
	agents := make([]*agent, len(ids))
	var lwg sync.WaitGroup
	sem := make(chan struct{}, 8) // at most 8 logins in flight
	var loginErrs atomic.Int64
	var firstErr atomic.Pointer[error]
	for i := range ids {
		lwg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			a, err := r.login(ctx, i, ids[i], pws[i])
			if err != nil {
				loginErrs.Add(1)
				firstErr.CompareAndSwap(nil, &err)
				return
			}
			agents[i] = a
		})
	}
	lwg.Wait()
	defer func() {
		close(r.stop)
		r.wg.Wait()
		for _, a := range agents {
			if a != nil {
				a.close()
			}
		}
	}()
	rep.AgentsLoggedIn = len(ids) - int(loginErrs.Load())
	rep.LoginSeconds = time.Since(loginStart).Seconds()
	if e := firstErr.Load(); e != nil {
		rep.LoginError = (*e).Error()
		r.log.Warn("agent login failed", "failed", loginErrs.Load(), "err", *e)
	}
	if rep.AgentsLoggedIn == 0 {
		return rep, fmt.Errorf("loadgen: no agent logged in: %w", *firstErr.Load())
	}
	if pid != 0 {
		if s, err := readProc(pid); err == nil {
			rep.Gateway.RSSAgentsKiB = s.RSSKiB
		}
	}

	return r.measure(ctx, pid, rep)
}

// measure runs the loopback baseline and the sampler, places the calls,
// waits for them to end and builds rep.
func (r *runner) measure(ctx context.Context, pid int, rep *Report) (*Report, error) {
	base, err := newBaseline(r)
	if err != nil {
		return nil, err
	}
	sampleDone := make(chan struct{})
	var swg sync.WaitGroup
	swg.Go(func() { r.sampleLoop(pid, sampleDone) })

	// Place calls.
	runStart := time.Now()
	r.schedule(ctx)
	rep.RunSeconds = time.Since(runStart).Seconds()
	close(sampleDone)
	swg.Wait()
	base.close()

	r.mu.Lock()
	defer r.mu.Unlock()
	rep.build(r.results, r.samples, base.result(), r.cfg)
	rep.placing(r.samples, time.Unix(0, r.placeStart.Load()), time.Unix(0, r.placeEnd.Load()))
	rep.UnknownOffers = int(r.unknownOffers.Load())
	return rep, nil
}

// runRTPEngine is Run for TargetRTPEngine: no agents log in; every call
// brings its own browser leg (rtpengine.go).
func (r *runner) runRTPEngine(ctx context.Context) (*Report, error) {
	cfg := r.cfg
	pid := cfg.GatewayPID
	if pid == 0 && cfg.RTPEngineNG.Addr().IsLoopback() {
		pid = findUDPOwner(cfg.RTPEngineNG)
	}
	rep := &Report{Config: summary(cfg), Failures: map[string]int{}}
	rep.Gateway.PID = pid
	if pid != 0 {
		if s, err := readProc(pid); err == nil {
			rep.Gateway.RSSIdleKiB, rep.Gateway.RSSAgentsKiB = s.RSSKiB, s.RSSKiB
		}
	}
	var err error
	if r.ng, err = newNGClient(cfg.RTPEngineNG); err != nil {
		return nil, err
	}
	defer r.ng.close()
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, err = r.ng.call(pctx, map[string]any{"command": "ping"})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("loadgen: rtpengine at %v: %w", cfg.RTPEngineNG, err)
	}
	defer func() { close(r.stop); r.wg.Wait() }()
	return r.measure(ctx, pid, rep)
}

// schedule places calls at cfg.Rate, at most cfg.Calls at a time, for
// cfg.Duration, then waits for every call to end.
func (r *runner) schedule(ctx context.Context) {
	// Call k is due at start + k·interval: a late wake-up places every call
	// that is due (a ticker would drop the missed ticks and fall short of
	// the rate). A call due while cfg.Calls are active is skipped.
	interval := time.Duration(float64(time.Second) / r.cfg.Rate)
	start := time.Now()
	r.placeStart.Store(start.UnixNano())
	timer := time.NewTimer(0)
	defer timer.Stop()
	end := time.After(r.cfg.Duration)
	var cwg sync.WaitGroup
	defer cwg.Wait()
	n, due := 0, 0
	// placeDue places the calls due at or before now.
	placeDue := func(now time.Duration) {
		for ; time.Duration(due)*interval <= now; due++ {
			if r.active.Load() >= int64(r.cfg.Calls) || r.cfg.Merge && n >= r.cfg.Calls {
				continue
			}
			n++
			r.placeOne(ctx, &cwg, n)
		}
	}
	for {
		select {
		case <-timer.C:
		case <-end:
			// A wake-up late enough to meet the end still places the calls
			// due before it (TestCompareRecording placed 2 of 3 on a busy
			// machine).
			placeDue(r.cfg.Duration - 1)
			r.placeEnd.Store(time.Now().UnixNano())
			return
		case <-ctx.Done():
			r.placeEnd.Store(time.Now().UnixNano())
			return
		}
		now := time.Since(start)
		placeDue(min(now, r.cfg.Duration-1))
		timer.Reset(time.Duration(due)*interval - now)
	}
}

// placeOne starts call n on cwg.
func (r *runner) placeOne(ctx context.Context, cwg *sync.WaitGroup, n int) {
	li, mux := r.pickLoop()
	c, err := newCall(mux, li, n, &r.delivered)
	if err != nil {
		r.record(callResult{Failure: "local socket: " + shortErr(err)})
		return
	}
	r.active.Add(1)
	r.placed.Add(1)
	cwg.Go(func() {
		res := r.place(ctx, c)
		r.active.Add(-1)
		r.record(res)
	})
}

func (r *runner) record(res callResult) {
	r.done.Add(1)
	if res.Failure != "" {
		r.failed.Add(1)
	}
	r.mu.Lock()
	r.results = append(r.results, res)
	r.mu.Unlock()
}

// sampleLoop reads /proc every second and prints the progress line.
func (r *runner) sampleLoop(pid int, done <-chan struct{}) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	start := time.Now()
	var prev sample
	for {
		s := sample{At: time.Now(), Bridged: r.bridged.Load(), Merged: r.merged.Load(), Active: r.active.Load(), Placed: r.placed.Load(), Delivered: r.delivered.Load()}
		if pid != 0 {
			s.Gateway, _ = readProc(pid)
		}
		s.Self, _ = readProc(os.Getpid())
		s.Machine, _, _ = machineTicks()
		r.mu.Lock()
		r.samples = append(r.samples, s)
		r.mu.Unlock()
		if r.cfg.Progress != nil && !prev.At.IsZero() {
			var b strings.Builder
			fmt.Fprintf(&b, "t=%3.0fs placed=%d active=%d bridged=%d ended=%d failed=%d",
				s.At.Sub(start).Seconds(), r.placed.Load(), s.Active, s.Bridged, r.done.Load(), r.failed.Load())
			if r.cfg.Merge {
				fmt.Fprintf(&b, " merged=%d", s.Merged)
			}
			if pid != 0 {
				fmt.Fprintf(&b, " gw_cpu=%.1f%% gw_rss=%.1fMiB", cpuPercent(prev.Gateway, s.Gateway, s.At.Sub(prev.At)), float64(s.Gateway.RSSKiB)/1024)
			}
			fmt.Fprintf(&b, " gen_cpu=%.1f%%", cpuPercent(prev.Self, s.Self, s.At.Sub(prev.At)))
			fmt.Fprintln(r.cfg.Progress, b.String())
		}
		prev = s
		select {
		case <-tick.C:
		case <-done:
			return
		}
	}
}

func cpuPercent(a, b procSample, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(b.Ticks-a.Ticks) / clockTicks / d.Seconds() * 100
}
