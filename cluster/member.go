package cluster

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// MemberConfig configures a Member. Zero values mean the defaults.
type MemberConfig struct {
	Bus   *Bus   // required
	Fence *Fence // required
	Node  string // required: this node's id
	// Report is the node's state for a new term (after Act has seen the
	// term's hello). Required.
	Report func() Report
	// Act carries out one admitted decision (hello included: withdraw the
	// offers of older terms). It must not block on the network for long;
	// required.
	Act    func(d Decision)
	Logger *slog.Logger // nil means slog.Default()
}

// Member is a node's side of the floor: it sends the node's facts to the
// leader and acts on the leader's decisions, each only if the fence admits
// its token (a stale leader's decision is dropped, so overlapping leaders
// never both book an agent). It is safe for concurrent use.
type Member struct {
	cfg   MemberConfig
	since time.Time // decisions from then on are this member's

	// mu orders facts and reports: a report goes out after every fact
	// sent before it, and before every fact sent after it.
	mu      sync.Mutex
	refused int // decisions refused by the fence (guarded by mu)
}

// NewMember checks cfg.
func NewMember(cfg MemberConfig) (*Member, error) {
	if cfg.Bus == nil || cfg.Fence == nil || cfg.Node == "" || cfg.Report == nil || cfg.Act == nil {
		return nil, errors.New("cluster: member needs Bus, Fence, Node, Report and Act")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Member{cfg: cfg, since: time.Now()}, nil
}

// Send sends one fact of this node to the leader.
func (m *Member) Send(ctx context.Context, f Fact) error {
	f.Node = m.cfg.Node
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cfg.Bus.SendFact(ctx, f)
}

// Refused counts the decisions the fence refused.
func (m *Member) Refused() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.refused
}

// Run reads this node's decisions until ctx ends, from the moment the
// Member was made (make it before the node joins presence, so no hello is
// missed).
func (m *Member) Run(ctx context.Context) error {
	rd := m.cfg.Bus.Decisions(m.cfg.Node, m.since)
	log := m.cfg.Logger.With("node", m.cfg.Node)
	for {
		ds, bad, err := rd.Read(ctx, time.Second, 256)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			log.Warn("cluster: decisions unreadable", "err", err)
			select { // Redis away: try again shortly
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		if bad > 0 {
			log.Warn("cluster: malformed decisions skipped", "count", bad)
		}
		for _, d := range ds {
			if err := m.cfg.Fence.Admit(ctx, d.Token); err != nil {
				m.mu.Lock()
				m.refused++
				m.mu.Unlock()
				log.Info("cluster: decision refused", "type", d.Type, "task", d.Task, "err", err)
				continue
			}
			m.cfg.Act(d)
			if d.Type == DecHello {
				m.report(ctx, d.Token, log)
			}
		}
	}
}

func (m *Member) report(ctx context.Context, token int64, log *slog.Logger) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.cfg.Report()
	if err := m.cfg.Bus.SendFact(ctx, Fact{Type: FactReport, Node: m.cfg.Node, Token: token, Report: &r}); err != nil {
		log.Warn("cluster: report not sent", "err", err)
	}
}
