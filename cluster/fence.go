package cluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/redis/go-redis/v9"
)

// ErrStaleToken refuses a decision made under a leadership that is over.
var ErrStaleToken = errors.New("cluster: stale fencing token")

// Fence is what a node checks before acting on a router decision: the
// decision's token must be the current leadership's (the fence counter in
// Redis) and not below any token this node has already acted on.
type Fence struct {
	rdb    *redis.Client
	prefix string

	mu   sync.Mutex
	seen int64 // highest token admitted
}

// NewFence makes the fence of one node for the lease under prefix.
func NewFence(rdb *redis.Client, prefix string) *Fence {
	return &Fence{rdb: rdb, prefix: prefix}
}

// Admit returns nil when a decision carrying token may be acted on, else
// an error wrapping ErrStaleToken (or Redis's error: then act on nothing).
func (f *Fence) Admit(ctx context.Context, token int64) error {
	cur, err := f.rdb.Get(ctx, f.prefix+":fence").Result()
	if err != nil {
		return fmt.Errorf("cluster: fence: %w", err)
	}
	c, err := strconv.ParseInt(cur, 10, 64)
	if err != nil {
		return fmt.Errorf("cluster: fence value %q: %w", cur, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if token < c || token < f.seen {
		return fmt.Errorf("%w: %d, current %d", ErrStaleToken, token, max(c, f.seen))
	}
	f.seen = token
	return nil
}
