package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/cluster"
	"switchboard/events"
)

// ClusterConfig is -cluster, -node-id and -node-addr (PROTOCOL §13).
// Redis empty means a single node: no Redis is contacted at all.
type ClusterConfig struct {
	Redis    string        // -cluster: redis://, rediss:// or unix:// URL; "" = single node
	NodeID   string        // -node-id: default the host name
	NodeAddr string        // -node-addr: host:port peers use for SIP between nodes; default -media-ip and the -sip-addr port
	Lease    time.Duration // -cluster-lease: the router lease's time to live
}

// clusterPrefix is the key prefix of everything Switchboard keeps in Redis.
const clusterPrefix = "switchboard"

// clusterFlags declares the cluster flags on fs; the returned function
// checks them (after fs.Parse, once c.SIPAddr and c.MediaIP are set).
func clusterFlags(fs *flag.FlagSet) func(c *Config, bad func(flag, val, why string)) {
	url := fs.String("cluster", "", "Redis of a cluster (redis://host:6379/0, rediss://…, unix:///path): the node joins the presence set and the router-leader election; empty = a single node, no Redis")
	host, _ := os.Hostname()
	id := fs.String("node-id", host, "this node's id in the cluster (default the host name); no spaces")
	addr := fs.String("node-addr", "", "host:port other nodes use for SIP (and RTP) to this node; default -media-ip with the -sip-addr port")
	lease := fs.Duration("cluster-lease", cluster.DefaultTTL, "the router lease's time to live: a dead leader is replaced after at most about 4/3 of it")
	return func(c *Config, bad func(flag, val, why string)) {
		cc := ClusterConfig{Redis: *url, NodeID: *id, NodeAddr: *addr, Lease: *lease}
		c.Cluster = cc
		if cc.Redis == "" {
			return
		}
		if _, err := redis.ParseURL(cc.Redis); err != nil {
			bad("cluster", redactDSN(cc.Redis), "want redis://host:6379/0, rediss://… or unix:///path ("+err.Error()+")")
		}
		if cc.NodeID == "" || strings.ContainsAny(cc.NodeID, " \t\r\n") || len(cc.NodeID) > 64 {
			bad("node-id", cc.NodeID, "must be 1-64 characters without spaces")
		}
		if cc.NodeAddr == "" {
			cc.NodeAddr = netip.AddrPortFrom(c.MediaIP, c.SIPAddr.Port()).String()
		} else if h, p, err := net.SplitHostPort(cc.NodeAddr); err != nil || h == "" {
			bad("node-addr", cc.NodeAddr, "want host:port, e.g. 10.0.0.2:5060")
		} else if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
			bad("node-addr", cc.NodeAddr, "port must be 1-65535")
		}
		if cc.Lease < 300*time.Millisecond || cc.Lease > time.Minute {
			bad("cluster-lease", cc.Lease.String(), "must be between 300ms and 1m")
		}
		c.Cluster = cc
	}
}

// clusterNode is this gateway's membership of a cluster: it heartbeats
// into the presence set, campaigns for the router lease, and keeps a
// snapshot of both for `state` and the admin page.
//
// With a floorLink (clusterfloor.go) the leader keeps the whole floor's
// agents and routes every node's plain queue and direct calls (to agents
// on any node: a call is bridged between two nodes over SIP). See
// docs/CLUSTER.md.
type clusterNode struct {
	cfg      ClusterConfig
	rdb      *redis.Client
	lease    *cluster.Lease
	presence *cluster.Presence
	hub      *events.Hub
	log      *slog.Logger
	bus      *cluster.Bus
	link     *floorLink         // set by run, under mu
	hook     *floorHook         // the core's agent.FloorRouter
	cmds     *cluster.Commander // console commands between nodes (clustercmd.go); set by run, under mu
	floorHub *events.Hub        // the whole floor's events, for consoles and supervisors (clusterevents.go)

	closeOnce sync.Once

	mu    sync.Mutex
	view  ClusterView
	token int64 // our fencing token while we lead, else 0
}

// ClusterView is the cluster part of `state` (the "cluster" member).
type ClusterView struct {
	Node     string        `json:"node"`
	Addr     string        `json:"addr"`
	Leader   string        `json:"leader"`    // the lease holder's node id, "" when none
	Token    int64         `json:"token"`     // the lease holder's fencing token
	IsLeader bool          `json:"is_leader"` // this node holds the lease
	Nodes    []ClusterPeer `json:"nodes"`     // live nodes (heartbeat not expired), by id
	// Floor is the whole floor as the leader sees it (every node's agents);
	// nil until a leader has published it.
	Floor *cluster.FloorView `json:"floor,omitempty"`
}

// ClusterPeer is one live node.
type ClusterPeer struct {
	ID   string `json:"id"`
	Addr string `json:"addr"`
}

// newClusterNode connects to Redis (and checks it answers within 3 s).
func newClusterNode(ctx context.Context, cfg ClusterConfig, hub *events.Hub, log *slog.Logger) (*clusterNode, error) {
	opt, err := redis.ParseURL(cfg.Redis)
	if err != nil {
		return nil, fmt.Errorf("-cluster: %w", err)
	}
	opt.PoolSize = 4
	rdb := redis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		_ = rdb.Close() // the client never worked: the returned error says why
		return nil, fmt.Errorf("-cluster %s: redis does not answer: %w", redactDSN(cfg.Redis), err)
	}
	lease, err := cluster.NewLease(rdb, clusterPrefix, cfg.NodeID, cfg.Lease)
	if err != nil {
		_ = rdb.Close() // unused client; the returned error says why
		return nil, err
	}
	n := &clusterNode{cfg: cfg, rdb: rdb, lease: lease, presence: cluster.NewPresence(rdb, clusterPrefix), hub: hub, log: log, bus: cluster.NewBus(rdb, clusterPrefix)}
	n.hook = newFloorHook(cfg.NodeID, log)
	n.floorHub = events.NewHub() // relayed to only: its events keep their node's stamp
	n.view = ClusterView{Node: cfg.NodeID, Addr: cfg.NodeAddr, Nodes: []ClusterPeer{}}
	return n, nil
}

// run joins the floor (src: this node's core and configuration),
// heartbeats and campaigns until ctx ends, then leaves the presence set,
// releases a held lease and closes the Redis client.
func (n *clusterNode) run(ctx context.Context, src floorSource) {
	var wg sync.WaitGroup
	link, err := newFloorLink(n, src) // before the first heartbeat: no hello is missed
	if err != nil {
		n.log.Error("cluster: floor link", "err", err)
	} else {
		n.mu.Lock()
		n.link = link
		n.mu.Unlock()
		wg.Go(func() { link.run(ctx, n.hub) })
	}
	wg.Go(func() {
		if err := n.lease.Elect(ctx, n.lead); err != nil && ctx.Err() == nil {
			n.log.Error("cluster: router lease campaign ended", "err", err)
		}
	})
	wg.Go(func() { n.beat(ctx) })
	wg.Go(func() { n.runCommands(ctx, src) })
	wg.Go(func() { n.runEvents(ctx) })
	wg.Wait()
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	if err := n.presence.Leave(lctx, n.cfg.NodeID); err != nil {
		n.log.Info("cluster: presence not left (it expires by itself)", "err", err)
	}
	n.partsGone(lctx)
	cancel()
	n.close()
}

// close closes the Redis client (once).
func (n *clusterNode) close() {
	n.closeOnce.Do(func() { _ = n.rdb.Close() }) // on the way out: nothing left to report to
}

// lead runs while this node holds the router lease.
func (n *clusterNode) lead(ctx context.Context, token int64) {
	n.mu.Lock()
	n.token = token
	n.mu.Unlock()
	n.log.Info("cluster: leading", "node", n.cfg.NodeID, "token", token)
	n.hub.Publish(events.Event{Type: "cluster.leader", Detail: map[string]any{"node": n.cfg.NodeID, "token": token}})
	if n.link != nil {
		// An error ends the term early: lead returns, the lease is no longer
		// renewed, and a new term (maybe ours again) starts after the TTL.
		if err := n.link.leader.Lead(ctx, token); err != nil && ctx.Err() == nil {
			n.log.Warn("cluster: term ended", "token", token, "err", err)
		}
	} else {
		<-ctx.Done()
	}
	n.mu.Lock()
	n.token = 0
	n.mu.Unlock()
	n.log.Info("cluster: lease lost or released", "node", n.cfg.NodeID, "token", token)
}

// beat heartbeats every lease/3 (alive for one lease) and refreshes the view.
func (n *clusterNode) beat(ctx context.Context) {
	every := n.cfg.Lease / 3
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		rctx, cancel := context.WithTimeout(ctx, every)
		if err := n.presence.Beat(rctx, n.cfg.NodeID, n.cfg.NodeAddr, n.cfg.Lease); err != nil && ctx.Err() == nil {
			n.log.Warn("cluster: heartbeat failed", "err", err)
		}
		n.refresh(rctx)
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// refresh reads the leader and the live nodes into the view.
func (n *clusterNode) refresh(ctx context.Context) {
	leader, tok, lerr := n.lease.Leader(ctx)
	nodes, nerr := n.presence.Nodes(ctx)
	fv, fok, ferr := n.bus.View(ctx)
	n.mu.Lock()
	var gone []string // live at the last refresh, not now
	if ferr == nil {
		n.view.Floor = nil
		if fok {
			n.view.Floor = &fv
		}
	}
	if lerr == nil {
		n.view.Leader, n.view.Token = leader, tok
	} else if !errors.Is(lerr, context.Canceled) {
		n.view.Leader, n.view.Token = "", 0 // unknown: Redis unreachable
	}
	if nerr == nil {
		peers := make([]ClusterPeer, 0, len(nodes))
		var sip []netip.AddrPort
		for id, a := range nodes {
			peers = append(peers, ClusterPeer{ID: id, Addr: a})
			if ap, err := netip.ParseAddrPort(a); err == nil && id != n.cfg.NodeID {
				sip = append(sip, ap)
			}
		}
		if n.link != nil {
			n.link.src.sip.SetPeers(sip) // INVITEs of calls between nodes (clusterpeer.go)
		}
		sort.Slice(peers, func(i, j int) bool { return peers[i].ID < peers[j].ID })
		for _, p := range n.view.Nodes {
			if _, live := nodes[p.ID]; !live && p.ID != n.cfg.NodeID {
				gone = append(gone, p.ID)
			}
		}
		n.view.Nodes = peers
	}
	link := n.link
	n.mu.Unlock()
	if link != nil && len(gone) > 0 {
		n.log.Info("cluster: nodes left the presence set", "nodes", gone)
		link.nodesGone(gone) // clusterpeer.go
	}
}

// inbound takes a call another node dialled for a floor offer here
// (clusterpeer.go); it is refused until the floor link runs.
func (n *clusterNode) inbound(ctx context.Context, tc trunkCall) {
	n.mu.Lock()
	link := n.link
	n.mu.Unlock()
	if link == nil {
		_ = tc.Reject(503, "Service Unavailable") // a final response: nothing else to do if it fails
		return
	}
	link.inbound(ctx, tc)
}

// Drain stops the floor's offers to this node's agents (SIGTERM; see
// floorLink.drain).
func (n *clusterNode) Drain() {
	n.mu.Lock()
	link := n.link
	n.mu.Unlock()
	if link != nil {
		link.drain()
	}
}

// View is the current snapshot (for `state`).
func (n *clusterNode) View() ClusterView {
	n.mu.Lock()
	defer n.mu.Unlock()
	v := n.view
	v.Nodes = append([]ClusterPeer(nil), v.Nodes...)
	v.IsLeader = n.token != 0
	if v.IsLeader { // our own knowledge is fresher than the last poll
		v.Leader, v.Token = n.cfg.NodeID, n.token
	}
	return v
}
