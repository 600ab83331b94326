package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ActivityTTL is how long an agent's last activity is kept after its last
// change.
const ActivityTTL = 24 * time.Hour

// An agent's activity follows it from node to node (PROTOCOL §13): the
// node it is logged in on keeps its last activity in
// <prefix>:activity:<agent> (for ActivityTTL after the last change), and
// the node it logs in on next, after a node's death too, reads it back.
func (b *Bus) activityKey(agent string) string { return b.prefix + ":activity:" + agent }

// PutActivity keeps agent's activity (an activity id, custom ones too).
func (b *Bus) PutActivity(ctx context.Context, agent, activity string) error {
	if err := b.rdb.Set(ctx, b.activityKey(agent), activity, ActivityTTL).Err(); err != nil {
		return fmt.Errorf("cluster: put activity: %w", err)
	}
	return nil
}

// Activity is agent's last kept activity (ok false: none).
func (b *Bus) Activity(ctx context.Context, agent string) (string, bool, error) {
	s, err := b.rdb.Get(ctx, b.activityKey(agent)).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("cluster: activity: %w", err)
	}
	return s, true, nil
}
