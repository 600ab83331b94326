package loadgen

import (
	"context"
	"fmt"
	"sync"
	"time"

	"switchboard/signaling/ws/wsclient"
)

// seed creates (or updates) the queue cfg.Prefix, cfg.Agents agents in it
// with capacity 1 (2 and a queue that offers calls to busy agents with
// cfg.Merge), and the route cfg.Number → queue. It returns the agent ids
// and passwords.
func seed(ctx context.Context, cfg Config) (ids, passwords []string, err error) {
	c, err := wsclient.Dial(ctx, wsclient.URL(cfg.GatewayHTTP, "/ws/admin"), wsclient.Options{})
	if err != nil {
		return nil, nil, fmt.Errorf("seed: %w", err)
	}
	defer c.Close()
	// Every agent.put hashes a password (bcrypt, ≈ 50–100 ms of a core):
	// on a busy shared machine 200 agents can take minutes.
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second+time.Duration(cfg.Agents)*time.Second)
	defer cancel()
	if err := c.Call(ctx, "auth", map[string]string{"token": cfg.AdminToken}, nil); err != nil {
		return nil, nil, fmt.Errorf("seed: %w", err)
	}
	capacity := 1
	if cfg.Merge {
		capacity = 2
	}
	q := map[string]any{"id": cfg.Prefix, "name": "sbload " + cfg.Prefix, "timeout_seconds": 15, "allow_busy_agents": cfg.Merge, "record": cfg.Record}
	if err := c.Call(ctx, "queue.put", q, nil); err != nil {
		return nil, nil, fmt.Errorf("seed: %w", err)
	}
	ids = make([]string, cfg.Agents)
	passwords = make([]string, cfg.Agents)
	errs := make([]error, cfg.Agents)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16) // requests in flight on the one socket
	for i := range cfg.Agents {
		ids[i] = fmt.Sprintf("%s-a%04d", cfg.Prefix, i+1)
		passwords[i] = "pw-" + ids[i]
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = c.Call(ctx, "agent.put", map[string]any{
				"id": ids[i], "name": "Load agent " + fmt.Sprint(i+1), "extension": fmt.Sprintf("8%05d", i+1),
				"password": passwords[i], "capacity": capacity, "queues": []string{cfg.Prefix},
			}, nil)
		})
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return nil, nil, fmt.Errorf("seed: %w", e)
		}
	}
	if err := c.Call(ctx, "route.put", map[string]string{"number": cfg.Number, "target": "queue:" + cfg.Prefix}, nil); err != nil {
		return nil, nil, fmt.Errorf("seed: %w", err)
	}
	return ids, passwords, nil
}
