package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// What follows an agent from node to node (PROTOCOL §13): its last
// activity, and the calls it lost with a node, to tell it at its next
// login.

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

// MaxTold bounds the lost calls kept per agent for its next login (the
// oldest go first), ToldTTL how long they are kept.
const (
	MaxTold = 16
	ToldTTL = time.Hour
)

// Lost calls to tell an agent at its next login, on any node (Floor.Told):
// the list <prefix>:told:<agent>, the ids the agent knew its calls by.
func (b *Bus) toldKey(agent string) string { return b.prefix + ":told:" + agent }

// PushTold keeps call (its id as agent knew it) for agent's next login.
func (b *Bus) PushTold(ctx context.Context, agent, call string) error {
	k := b.toldKey(agent)
	_, err := b.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, k, call)
		p.LTrim(ctx, k, -MaxTold, -1)
		p.PExpire(ctx, k, ToldTTL)
		return nil
	})
	if err != nil {
		return fmt.Errorf("cluster: keep a lost call for %s: %w", agent, err)
	}
	return nil
}

// TakeTold returns (and forgets) the lost calls kept for agent.
func (b *Bus) TakeTold(ctx context.Context, agent string) ([]string, error) {
	k := b.toldKey(agent)
	var get *redis.StringSliceCmd
	_, err := b.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		get = p.LRange(ctx, k, 0, -1)
		p.Del(ctx, k)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: lost calls of %s: %w", agent, err)
	}
	return get.Val(), nil
}
