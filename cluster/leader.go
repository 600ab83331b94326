package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"switchboard/router"
)

// LeaderConfig configures a Leader. Zero values mean the defaults.
type LeaderConfig struct {
	Bus      *Bus      // required
	Presence *Presence // required: which nodes are alive
	Node     string    // required: this node's id (the fact group's consumer)
	Router   router.Config
	// Setup puts the floor's configuration (queues, agents, workflows)
	// into a new term's router; nil puts nothing. An error (the
	// configuration could not be read) ends the term before it routes:
	// a term with an empty router would offer nothing for a whole lease.
	Setup func(rt *router.Router, now time.Time) error
	// LocalOnly offers each task only to agents on its own node
	// (Floor.SetLocalOnly): for nodes that do not bridge between nodes
	// (the switchboard binary does).
	LocalOnly bool
	// Rebuild bounds the wait for the nodes' reports; 0 means 2 s.
	Rebuild time.Duration
	// Poll is how often presence is read (lost and new nodes); 0 means 500 ms.
	Poll   time.Duration
	Logger *slog.Logger     // nil means slog.Default()
	Now    func() time.Time // nil means time.Now
}

// Leader routes for the whole floor while its node holds the lease: Lead
// runs one term (one Floor) from the facts stream to the decisions
// streams. It is safe for concurrent use.
type Leader struct {
	cfg LeaderConfig

	mu sync.Mutex
	// guards following
	floor *Floor // the current term's, nil between terms
	out   []Decision
}

// NewLeader checks cfg.
func NewLeader(cfg LeaderConfig) (*Leader, error) {
	if cfg.Bus == nil || cfg.Presence == nil || cfg.Node == "" {
		return nil, errors.New("cluster: leader needs Bus, Presence and Node")
	}
	if cfg.Rebuild == 0 {
		cfg.Rebuild = 2 * time.Second
	}
	if cfg.Poll == 0 {
		cfg.Poll = 500 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Leader{cfg: cfg}, nil
}

// Configure runs fn on the current term's router (a configuration change:
// PutQueue, PutAgent, …) and sends the decisions it caused. It does
// nothing between terms (the next term's Setup reads the configuration).
func (l *Leader) Configure(ctx context.Context, fn func(rt *router.Router, now time.Time) error) error {
	l.mu.Lock()
	if l.floor == nil {
		l.mu.Unlock()
		return nil
	}
	ferr := fn(l.floor.Router(), l.cfg.Now())
	l.floor.Advance(l.cfg.Now())
	ds := l.takeLocked()
	l.mu.Unlock()
	return errors.Join(ferr, l.cfg.Bus.SendDecisions(ctx, ds))
}

// View runs fn on the current term's floor (read-only), if any.
func (l *Leader) View(fn func(f *Floor)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.floor != nil {
		fn(l.floor)
	}
}

func (l *Leader) takeLocked() []Decision {
	l.out = l.floor.Drain(l.out[:0])
	return slices.Clone(l.out)
}

// Lead runs the term of token until ctx ends (the lease is lost) or the
// term is deposed; use it as Lease.Elect's lead function.
func (l *Leader) Lead(ctx context.Context, token int64) error {
	log := l.cfg.Logger.With("node", l.cfg.Node, "token", token)
	rd, err := l.cfg.Bus.OpenFacts(ctx, token, l.cfg.Node)
	if err != nil {
		return err
	}
	now := l.cfg.Now()
	f := NewFloor(l.cfg.Router, token)
	f.SetLocalOnly(l.cfg.LocalOnly)
	if l.cfg.Setup != nil {
		if err := l.cfg.Setup(f.Router(), now); err != nil {
			return fmt.Errorf("cluster: term %d not set up: %w", token, err)
		}
	}
	nodes, err := l.cfg.Presence.Nodes(ctx)
	if err != nil {
		return err
	}
	alive := sortedKeys(nodes)
	f.Expect(alive, now.Add(l.cfg.Rebuild))
	l.mu.Lock()
	l.floor = f
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.floor = nil
		l.mu.Unlock()
	}()
	hello := func(ns []string) error {
		ds := make([]Decision, len(ns))
		for i, n := range ns {
			ds[i] = Decision{Type: DecHello, Token: token, To: n}
		}
		return l.cfg.Bus.SendDecisions(ctx, ds)
	}
	if err := hello(alive); err != nil {
		return err
	}
	log.Info("cluster: term started", "nodes", len(alive))
	known := map[string]bool{}
	for _, n := range alive {
		known[n] = true
	}
	nextPoll := now.Add(l.cfg.Poll)
	for ctx.Err() == nil {
		block := l.cfg.Poll
		l.mu.Lock()
		if d, ok := f.NextDeadline(); ok {
			block = min(block, max(d.Sub(l.cfg.Now()), time.Millisecond))
		}
		l.mu.Unlock()
		facts, ids, bad, err := rd.Read(ctx, block, 256)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return err
		}
		if bad > 0 {
			log.Warn("cluster: malformed facts skipped", "count", bad)
		}
		now = l.cfg.Now()
		l.mu.Lock()
		for _, fa := range facts {
			if err := f.Apply(fa, now); err != nil {
				log.Debug("cluster: fact refused", "type", fa.Type, "from", fa.Node, "err", err)
			}
		}
		f.Advance(now)
		ds := l.takeLocked()
		l.mu.Unlock()
		if err := l.cfg.Bus.SendDecisions(ctx, ds); err != nil {
			return err
		}
		if err := rd.Ack(ctx, ids); err != nil {
			return fmt.Errorf("cluster: ack facts: %w", err)
		}
		if now.Before(nextPoll) {
			continue
		}
		nextPoll = now.Add(l.cfg.Poll)
		if err := l.poll(ctx, f, known, hello, log); err != nil {
			return err
		}
		l.mu.Lock()
		v := f.View(l.cfg.Now())
		l.mu.Unlock()
		if err := l.cfg.Bus.PutView(ctx, v, max(2*time.Second, 4*l.cfg.Poll)); err != nil {
			log.Warn("cluster: floor view not published", "err", err)
		}
	}
	return ctx.Err()
}

// poll compares presence with the nodes the term knows: a node gone is
// lost (NodeLost), a new one gets a hello.
func (l *Leader) poll(ctx context.Context, f *Floor, known map[string]bool, hello func([]string) error, log *slog.Logger) error {
	nodes, err := l.cfg.Presence.Nodes(ctx)
	if err != nil {
		log.Warn("cluster: presence unreadable", "err", err)
		return nil // try again at the next poll; lose no node on a blip
	}
	var fresh []string
	for n := range nodes {
		if !known[n] {
			known[n] = true
			fresh = append(fresh, n)
		}
	}
	now := l.cfg.Now()
	l.mu.Lock()
	var lost []string
	for n := range known {
		if _, ok := nodes[n]; !ok {
			lost = append(lost, n)
		}
	}
	for _, n := range f.Nodes() {
		if _, ok := nodes[n]; !ok && !known[n] {
			lost = append(lost, n)
		}
	}
	slices.Sort(lost)
	for _, n := range slices.Compact(lost) {
		delete(known, n)
		log.Info("cluster: node lost", "lost", n)
		f.NodeLost(n, now)
	}
	rebuilding := f.Rebuilding()
	l.mu.Unlock()
	if !rebuilding { // the survivors are known: report the dead nodes' calls
		l.takeLedgers(ctx, f, nodes, log)
	}
	l.mu.Lock()
	ds := l.takeLocked()
	l.mu.Unlock()
	if err := l.cfg.Bus.SendDecisions(ctx, ds); err != nil {
		return err
	}
	slices.Sort(fresh)
	return hello(fresh)
}

// takeLedgers takes the call ledger of every node not alive (whenever it
// died, even before this term) and reports its calls (Floor.CallsLost).
func (l *Leader) takeLedgers(ctx context.Context, f *Floor, alive map[string]string, log *slog.Logger) {
	ns, err := l.cfg.Bus.LedgerNodes(ctx)
	if err != nil {
		log.Warn("cluster: call ledgers unreadable", "err", err)
		return
	}
	slices.Sort(ns)
	for _, n := range ns {
		if _, ok := alive[n]; ok {
			continue
		}
		calls, err := l.cfg.Bus.TakeCalls(ctx, n, f.Token())
		if err != nil {
			log.Warn("cluster: call ledger not taken", "lost", n, "err", err)
			continue
		}
		if len(calls) > 0 {
			log.Info("cluster: dead node's calls reported", "lost", n, "calls", len(calls))
		}
		l.mu.Lock()
		f.CallsLost(n, calls)
		told := f.Told()
		l.mu.Unlock()
		for _, t := range told {
			if err := l.cfg.Bus.PushTold(ctx, t.Agent, t.Call); err != nil {
				log.Warn("cluster: a lost call not kept for its agent's next login", "agent", t.Agent, "call", t.Call, "err", err)
			}
		}
	}
}
