package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// MaxPartBytes bounds one node's published part of the floor.
const MaxPartBytes = 4 << 20

// ErrPartTooBig is PutPart's refusal of a part over MaxPartBytes.
var ErrPartTooBig = errors.New("cluster: floor part over 4 MiB")

// A node's part of the floor is what its own admin `state` shows of it
// (its calls, its queues' counts, its agents' live fields), published by
// the node itself as one key, <prefix>:part:<node>, with the same time to
// live as its presence heartbeat (the caller passes the lease). So a dead
// node's part expires with its presence, and whoever serves `state` reads
// the parts of the live nodes only. The content is opaque here (JSON the
// binary builds).
func (b *Bus) partKey(node string) string { return b.prefix + ":part:" + node }

// PutPart publishes node's part, valid for ttl.
func (b *Bus) PutPart(ctx context.Context, node string, js []byte, ttl time.Duration) error {
	if len(js) > MaxPartBytes {
		return ErrPartTooBig
	}
	if err := b.rdb.Set(ctx, b.partKey(node), js, ttl).Err(); err != nil {
		return fmt.Errorf("cluster: put floor part: %w", err)
	}
	return nil
}

// DelPart removes node's part (a node leaving).
func (b *Bus) DelPart(ctx context.Context, node string) error {
	return b.rdb.Del(ctx, b.partKey(node)).Err()
}

// Parts reads the parts of nodes (at most MaxNodes) in one round trip; a
// node without a live part is left out.
func (b *Bus) Parts(ctx context.Context, nodes []string) (map[string][]byte, error) {
	if len(nodes) > MaxNodes {
		nodes = nodes[:MaxNodes]
	}
	out := make(map[string][]byte, len(nodes))
	if len(nodes) == 0 {
		return out, nil
	}
	keys := make([]string, len(nodes))
	for i, n := range nodes {
		keys[i] = b.partKey(n)
	}
	vals, err := b.rdb.MGet(ctx, keys...).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("cluster: floor parts: %w", err)
	}
	for i, v := range vals {
		if s, ok := v.(string); ok {
			out[nodes[i]] = []byte(s)
		}
	}
	return out, nil
}
