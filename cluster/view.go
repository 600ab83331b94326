package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

// FloorView is the whole floor as the leader's router sees it: every
// agent of every node. The leader publishes it in Redis; every node shows
// it in its admin `state` (cluster.floor).
type FloorView struct {
	Token   int64        `json:"token"`
	At      time.Time    `json:"at"`
	Ready   bool         `json:"ready"` // the rebuild is over
	Agents  []FloorAgent `json:"agents"`
	Waiting int          `json:"waiting"` // calls waiting for an agent, all nodes
}

// FloorAgent is one agent on the floor. Only agents that some node
// reported are listed.
type FloorAgent struct {
	ID        string `json:"id"`
	Node      string `json:"node"`
	Connected bool   `json:"connected"`
	Activity  string `json:"activity"`
	Load      int    `json:"load"`
}

// View is the floor now (sorted by agent id).
func (f *Floor) View(now time.Time) FloorView {
	v := FloorView{Token: f.token, At: now, Ready: f.expect == nil, Agents: []FloorAgent{}}
	for id, node := range f.agentNode {
		s, ok := f.rt.Agent(id)
		if !ok {
			continue
		}
		v.Agents = append(v.Agents, FloorAgent{ID: string(id), Node: node, Connected: s.Connected, Activity: s.Activity.String(), Load: s.Load})
	}
	slices.SortFunc(v.Agents, func(a, b FloorAgent) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	for _, q := range f.rt.Queues() {
		v.Waiting += q.Waiting
	}
	return v
}

func (b *Bus) viewKey() string { return b.prefix + ":floor" }

var putViewScript = redis.NewScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1`)

// PutView publishes v, valid for ttl (a dead leader's view expires). Only
// the current term's view is stored (v.Token must be the fence counter).
func (b *Bus) PutView(ctx context.Context, v FloorView, ttl time.Duration) error {
	js, err := json.Marshal(v)
	if err != nil {
		return err
	}
	keys := []string{b.viewKey(), b.prefix + ":fence"}
	if err := putViewScript.Run(ctx, b.rdb, keys, js, v.Token, ttl.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("cluster: put floor view: %w", err)
	}
	return nil
}

// View reads the published floor view; ok false when there is none.
func (b *Bus) View(ctx context.Context) (v FloorView, ok bool, err error) {
	js, err := b.rdb.Get(ctx, b.viewKey()).Bytes()
	if errors.Is(err, redis.Nil) {
		return v, false, nil
	}
	if err != nil {
		return v, false, fmt.Errorf("cluster: floor view: %w", err)
	}
	if err := json.Unmarshal(js, &v); err != nil {
		return v, false, fmt.Errorf("cluster: floor view: %w", err)
	}
	return v, true, nil
}
