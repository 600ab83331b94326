package cluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultTTL is the lease's time to live: a dead leader is replaced after
// at most about this long.
const DefaultTTL = 3 * time.Second

// Lease is the router leadership of one node.
type Lease struct {
	rdb    *redis.Client
	prefix string
	node   string
	ttl    time.Duration
}

// NewLease makes the lease of node in rdb under key prefix (e.g.
// "switchboard"); ttl 0 means DefaultTTL.
func NewLease(rdb *redis.Client, prefix, node string, ttl time.Duration) (*Lease, error) {
	if node == "" || strings.ContainsAny(node, " \t\r\n") {
		return nil, fmt.Errorf("cluster: node id %q: must be non-empty without spaces", node)
	}
	if ttl == 0 {
		ttl = DefaultTTL
	}
	if ttl < 100*time.Millisecond {
		return nil, fmt.Errorf("cluster: lease ttl %v: at least 100ms", ttl)
	}
	return &Lease{rdb: rdb, prefix: prefix, node: node, ttl: ttl}, nil
}

func (l *Lease) leaderKey() string { return l.prefix + ":leader" }
func (l *Lease) fenceKey() string  { return l.prefix + ":fence" }

var acquireScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local t = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. t, 'PX', ARGV[2])
return t`)

var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`)

var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// Acquire takes the lease if nobody holds it, returning the new fencing
// token (> 0), or 0 when another node holds it.
func (l *Lease) Acquire(ctx context.Context) (int64, error) {
	t, err := acquireScript.Run(ctx, l.rdb, []string{l.leaderKey(), l.fenceKey()}, l.node, l.ttl.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("cluster: acquire lease: %w", err)
	}
	return t, nil
}

// Renew extends the lease held with token; false means it was lost (it
// expired, and maybe another node holds it now).
func (l *Lease) Renew(ctx context.Context, token int64) (bool, error) {
	n, err := renewScript.Run(ctx, l.rdb, []string{l.leaderKey()}, l.value(token), l.ttl.Milliseconds()).Int64()
	if err != nil {
		return false, fmt.Errorf("cluster: renew lease: %w", err)
	}
	return n == 1, nil
}

// Release gives the lease held with token up (a draining node), so
// another node leads at once instead of after the TTL.
func (l *Lease) Release(ctx context.Context, token int64) error {
	return releaseScript.Run(ctx, l.rdb, []string{l.leaderKey()}, l.value(token)).Err()
}

func (l *Lease) value(token int64) string { return l.node + " " + strconv.FormatInt(token, 10) }

// Leader returns the node holding the lease and its token; "" when none.
func (l *Lease) Leader(ctx context.Context) (string, int64, error) {
	v, err := l.rdb.Get(ctx, l.leaderKey()).Result()
	if errors.Is(err, redis.Nil) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, fmt.Errorf("cluster: leader: %w", err)
	}
	node, tok, _ := strings.Cut(v, " ")
	t, err := strconv.ParseInt(tok, 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("cluster: leader value %q: %w", v, err)
	}
	return node, t, nil
}

// Elect campaigns for the lease until ctx ends: every TTL/3 it tries to
// acquire it; while it leads it renews it as often, and lead runs with a
// context that ends when the lease is lost (or ctx ends) and the token
// its decisions carry. Elect returns ctx's error after lead has returned;
// it releases a lease it still holds then.
func (l *Lease) Elect(ctx context.Context, lead func(ctx context.Context, token int64)) error {
	tick := time.NewTicker(l.ttl / 3)
	defer tick.Stop()
	for {
		if tok, err := l.Acquire(ctx); err == nil && tok > 0 {
			l.hold(ctx, tok, tick, lead)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// hold runs lead while renewing the lease; it returns when the lease is
// lost or ctx ends (releasing it then), after lead has returned.
func (l *Lease) hold(ctx context.Context, tok int64, tick *time.Ticker, lead func(context.Context, int64)) {
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); lead(lctx, tok) }()
	defer func() { cancel(); <-done }()
	for {
		select {
		case <-ctx.Done():
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			_ = l.Release(rctx, tok) // best effort on the way out: an unreleased lease expires after its TTL
			rcancel()
			return
		case <-done:
			return
		case <-tick.C:
			rctx, rcancel := context.WithTimeout(ctx, l.ttl/3)
			ok, err := l.Renew(rctx, tok)
			rcancel()
			if err != nil || !ok { // an error: we cannot prove we still hold it
				return
			}
		}
	}
}
