package cluster

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// follow subscribes to channels, waits (at most subscribeWait) until
// Redis has confirmed each, calls ready, then each for every message
// until ctx ends. At most size messages wait for each; the client drops a
// message that stays undelivered past a minute. The error is the
// subscription's, if it was never confirmed.
func follow(ctx context.Context, rdb *redis.Client, channels []string, size int, ready func(), each func(*redis.Message)) error {
	ps := rdb.Subscribe(ctx, channels...)
	defer func() { _ = ps.Close() }() // on the way out; nothing to tell
	sctx, cancel := context.WithTimeout(ctx, subscribeWait)
	for confirmed := 0; confirmed < len(channels); {
		m, err := ps.Receive(sctx)
		if err != nil {
			cancel()
			return fmt.Errorf("subscribe %v: %w", channels, err)
		}
		if _, ok := m.(*redis.Subscription); ok {
			confirmed++
		}
	}
	cancel()
	ready()
	msgs := ps.Channel(redis.WithChannelSize(size), redis.WithChannelSendTimeout(time.Minute))
	for {
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-msgs:
			if !ok {
				return nil
			}
			each(m)
		}
	}
}
