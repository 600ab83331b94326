package cluster

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// The floor's event feed (PROTOCOL §13: the admin event stream of the
// whole floor): every node publishes its own events, as its hub stamped
// them (node and seq), on one pub/sub channel <prefix>:events, and
// follows that channel for the other nodes' events. Pub/sub keeps
// nothing: a node that is not subscribed at the moment misses the event
// (the journal in the store has it), and no message is delivered twice.

// MaxEventBytes bounds one event on the feed (larger ones are neither
// sent nor taken).
const MaxEventBytes = 64 << 10

// feedBuffer bounds the events received and not yet handed on.
const feedBuffer = 1024

func (b *Bus) eventsChannel() string { return b.prefix + ":events" }

// PublishEvents sends events (each one encoded event) on the feed, in
// order, in one round trip. Those over MaxEventBytes are left out and
// counted in skipped.
func (b *Bus) PublishEvents(ctx context.Context, events [][]byte) (skipped int, err error) {
	_, err = b.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, e := range events {
			if len(e) > MaxEventBytes {
				skipped++
				continue
			}
			p.Publish(ctx, b.eventsChannel(), e)
		}
		return nil
	})
	if err != nil {
		return skipped, fmt.Errorf("cluster: publish events: %w", err)
	}
	return skipped, nil
}

// FollowEvents subscribes to the feed, calls ready once Redis has
// confirmed the subscription, then each for every event received (every
// node's, the follower's own included, in each node's order) until ctx
// ends. each must not block for long: at most feedBuffer events wait for
// it, and the client drops what stays undelivered past a minute. The
// error is the subscription's, if it was never confirmed.
func (b *Bus) FollowEvents(ctx context.Context, ready func(), each func([]byte)) error {
	err := follow(ctx, b.rdb, []string{b.eventsChannel()}, feedBuffer, ready, func(m *redis.Message) {
		if len(m.Payload) <= MaxEventBytes {
			each([]byte(m.Payload))
		}
	})
	if err != nil {
		return fmt.Errorf("cluster: events: %w", err)
	}
	return nil
}
