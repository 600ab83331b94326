package main

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"switchboard/events"
)

// The admin event stream of the whole floor (PROTOCOL §13): with
// -cluster, the console's `subscribe` and a supervisor's `floor.subscribe`
// read floorHub, which carries this node's events and the other nodes'.
// Every node publishes its own events, as its hub stamped them (node,
// seq), on the floor's feed in Redis (cluster.Bus.PublishEvents), and
// follows the feed (FollowEvents), relaying the other nodes' events into
// its floorHub as they are (events.Hub.Relay). Relayed events reach only
// floorHub's readers (consoles, supervisors), never the node's own hub:
// the journal, the floor link and the configuration sync see this node's
// events alone, so nothing is journaled twice and nothing is sent back.

const (
	// feedLocalBuffer bounds this node's events waiting to reach floorHub
	// or the feed.
	feedLocalBuffer = 4096
	// feedBatch bounds the events sent to the feed in one round trip,
	// feedWait how long that round trip may take.
	feedBatch = 256
	feedWait  = time.Second
	// feedRetry is the pause before following the feed again after the
	// subscription failed.
	feedRetry = time.Second
)

// runEvents runs the floor's event stream of this node (floorHub) until
// ctx ends.
func (n *clusterNode) runEvents(ctx context.Context) {
	var wg sync.WaitGroup
	local := n.hub.SubscribeLossless(feedLocalBuffer) // this node's stream stays lossless up to floorHub
	wg.Go(func() {
		defer local.Close() // no Publish waits on it once it is unread
		eachEvent(ctx, local, n.floorHub.Relay)
	})
	wg.Go(func() { n.publishEvents(ctx) })
	wg.Go(func() { n.followEvents(ctx) })
	wg.Wait()
}

// publishEvents sends this node's events to the feed until ctx ends. A
// subscription dropped because Redis was too slow is logged (the other
// nodes' consoles miss those events; the journal has them) and taken
// again.
func (n *clusterNode) publishEvents(ctx context.Context) {
	for ctx.Err() == nil {
		sub := n.hub.Subscribe(feedLocalBuffer)
		n.feedOut(ctx, sub)
		sub.Close()
		if err := sub.Err(); err != nil && ctx.Err() == nil {
			n.log.Warn("cluster: events not sent to the other nodes' consoles (Redis too slow): a gap", "err", err)
		}
	}
}

// feedOut sends sub's events to the feed, in batches (each event with
// those that followed it at once, up to feedBatch), until sub ends or ctx
// does.
func (n *clusterNode) feedOut(ctx context.Context, sub *events.Subscription) {
	batch := make([][]byte, 0, feedBatch)
	eachEvent(ctx, sub, func(e events.Event) {
		batch = n.appendEvent(batch[:0], e)
	more:
		for len(batch) < feedBatch {
			select {
			case e, ok := <-sub.C:
				if !ok { // eachEvent sees it closed next
					break more
				}
				batch = n.appendEvent(batch, e)
			default:
				break more
			}
		}
		pctx, cancel := context.WithTimeout(ctx, feedWait)
		skipped, err := n.bus.PublishEvents(pctx, batch)
		cancel()
		if err != nil && ctx.Err() == nil {
			n.log.Warn("cluster: events not sent to the other nodes' consoles", "events", len(batch), "err", err)
		}
		if skipped > 0 {
			n.log.Warn("cluster: events too large for the other nodes' consoles", "events", skipped)
		}
	})
}

// appendEvent appends e, encoded, to batch (an event that cannot be
// encoded is logged and left out).
func (n *clusterNode) appendEvent(batch [][]byte, e events.Event) [][]byte {
	js, err := json.Marshal(e)
	if err != nil { // only a time outside years 0-9999
		n.log.Warn("cluster: event not sent to the other nodes' consoles", "type", e.Type, "seq", e.Seq, "err", err)
		return batch
	}
	return append(batch, js)
}

// followEvents relays the other nodes' events from the feed into floorHub
// until ctx ends.
func (n *clusterNode) followEvents(ctx context.Context) {
	for {
		err := n.bus.FollowEvents(ctx, func() {}, func(js []byte) {
			var e events.Event
			if err := json.Unmarshal(js, &e); err != nil {
				n.log.Warn("cluster: malformed event on the feed, dropped", "err", err)
				return
			}
			if relayed(e, n.cfg.NodeID) {
				n.floorHub.Relay(e)
			}
		})
		if err == nil || ctx.Err() != nil {
			return
		}
		n.log.Warn("cluster: the other nodes' events are not followed; retrying", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(feedRetry):
		}
	}
}

// relayed says whether e, taken from the feed by node self, goes to self's
// consoles: another node's event, except those every node publishes for
// itself (so a console would see them twice): config.changed (each node
// publishes its own for every change; the echo has detail.from) and the
// calls of a dead node reported ended (lost_node: every survivor reports
// them), except those a node reports of itself (lost_node is its own id:
// the calls its last run lost, which only it reports, clusterlost.go
// ownLost).
func relayed(e events.Event, self string) bool {
	switch {
	case e.Node == "" || e.Node == self:
		return false
	case e.Type == events.ConfigChanged:
		return false
	case e.Detail[lostNodeKey] != nil:
		return e.Detail[lostNodeKey] == any(e.Node)
	}
	return true
}
