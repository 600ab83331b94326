package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// LostCall is a call a dead node held, from its ledger.
type LostCall struct {
	ID    string   `json:"id"`              // the floor's call id, <node>/<call>
	Agent string   `json:"agent,omitempty"` // "" while it waited for an agent
	Info  CallInfo `json:"info"`
}

// The call ledger: each node keeps its live calls in the hash
// <prefix>:calls:<node> (and its id in the set <prefix>:callnodes), so
// that whoever leads when the node dies, even a term that started after
// the death (the dead node led), can report them.
func (b *Bus) ledgerKey(node string) string { return b.prefix + ":calls:" + node }
func (b *Bus) ledgerNodes() string          { return b.prefix + ":callnodes" }

// PutCall records (or updates) one live call of node.
func (b *Bus) PutCall(ctx context.Context, node string, c LostCall) error {
	js, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = b.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, b.ledgerKey(node), c.ID, js)
		p.SAdd(ctx, b.ledgerNodes(), node)
		return nil
	})
	if err != nil {
		return fmt.Errorf("cluster: ledger put: %w", err)
	}
	return nil
}

// DelCall forgets an ended call of node.
func (b *Bus) DelCall(ctx context.Context, node, id string) error {
	if err := b.rdb.HDel(ctx, b.ledgerKey(node), id).Err(); err != nil {
		return fmt.Errorf("cluster: ledger del: %w", err)
	}
	return nil
}

// Call is node's live call id from its ledger (ok false: none).
func (b *Bus) Call(ctx context.Context, node, id string) (c LostCall, ok bool, err error) {
	js, err := b.rdb.HGet(ctx, b.ledgerKey(node), id).Bytes()
	if errors.Is(err, redis.Nil) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("cluster: ledger get: %w", err)
	}
	if err := json.Unmarshal(js, &c); err != nil {
		return c, false, fmt.Errorf("cluster: ledger get %s: %w", id, err)
	}
	return c, true, nil
}

// LedgerNodes lists the nodes that have kept a ledger.
func (b *Bus) LedgerNodes(ctx context.Context) ([]string, error) {
	return b.rdb.SMembers(ctx, b.ledgerNodes()).Result()
}

// takeScript returns and deletes a node's ledger, if ARGV[1] is "0" (the
// node itself, at start) or the current fence token (one leader only).
var takeScript = redis.NewScript(`
if ARGV[1] ~= '0' and redis.call('GET', KEYS[3]) ~= ARGV[1] then return false end
local r = redis.call('HVALS', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
return r`)

// TakeCalls returns node's ledger and deletes it: by the leader of the
// term token (nothing if token is no longer the fence counter), or by the
// node itself at start with token 0 (its calls died with its last run).
func (b *Bus) TakeCalls(ctx context.Context, node string, token int64) ([]LostCall, error) {
	keys := []string{b.ledgerKey(node), b.ledgerNodes(), b.prefix + ":fence"}
	res, err := takeScript.Run(ctx, b.rdb, keys, token, node).StringSlice()
	if err == redis.Nil {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: ledger take %s: %w", node, err)
	}
	out := make([]LostCall, 0, len(res))
	for _, s := range res {
		var c LostCall
		if json.Unmarshal([]byte(s), &c) == nil {
			out = append(out, c)
		}
	}
	return out, nil
}
