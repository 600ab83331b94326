package cluster

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// MaxNodes bounds the nodes Presence lists.
const MaxNodes = 64

// Presence is the set of live nodes: a sorted set <prefix>:nodes of node
// ids scored by the time their last heartbeat expires, and each node's
// address (-node-addr) in the hash <prefix>:addrs.
type Presence struct {
	rdb    *redis.Client
	prefix string
}

// NewPresence makes the presence set under prefix.
func NewPresence(rdb *redis.Client, prefix string) *Presence {
	return &Presence{rdb: rdb, prefix: prefix}
}

// Beat says node (at addr) is alive for ttl more.
func (p *Presence) Beat(ctx context.Context, node, addr string, ttl time.Duration) error {
	exp := time.Now().Add(ttl).UnixMilli()
	_, err := p.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.ZAdd(ctx, p.prefix+":nodes", redis.Z{Score: float64(exp), Member: node})
		pipe.HSet(ctx, p.prefix+":addrs", node, addr)
		return nil
	})
	if err != nil {
		return fmt.Errorf("cluster: heartbeat: %w", err)
	}
	return nil
}

// Leave removes node at once (a draining node).
func (p *Presence) Leave(ctx context.Context, node string) error {
	_, err := p.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.ZRem(ctx, p.prefix+":nodes", node)
		pipe.HDel(ctx, p.prefix+":addrs", node)
		return nil
	})
	return err
}

// Nodes returns the live nodes and their addresses (at most MaxNodes).
func (p *Presence) Nodes(ctx context.Context) (map[string]string, error) {
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	ids, err := p.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: p.prefix + ":nodes", Start: "(" + now, Stop: "+inf", ByScore: true, Count: MaxNodes}).Result()
	if err != nil {
		return nil, fmt.Errorf("cluster: nodes: %w", err)
	}
	out := make(map[string]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	addrs, err := p.rdb.HMGet(ctx, p.prefix+":addrs", ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("cluster: node addresses: %w", err)
	}
	for i, id := range ids {
		a, _ := addrs[i].(string)
		out[id] = a
	}
	return out, nil
}
