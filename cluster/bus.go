package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Stream bounds: Redis trims older entries (approximately) past these.
const (
	factsMaxLen     = 100_000 // <prefix>:facts, every node's facts
	decisionsMaxLen = 10_000  // <prefix>:dec:<node>, one node's decisions
)

// ErrDeposed is returned to a leader whose fact group another term
// replaced: it must stop leading.
var ErrDeposed = errors.New("cluster: deposed: another term reads the facts")

// Bus carries facts (node → leader, one stream read by the leader's
// consumer group, acknowledged with XACK) and decisions (leader → node, one
// stream per node) over Redis Streams. Both are ordered.
type Bus struct {
	rdb    *redis.Client
	prefix string
}

// NewBus makes the bus under key prefix.
func NewBus(rdb *redis.Client, prefix string) *Bus { return &Bus{rdb: rdb, prefix: prefix} }

func (b *Bus) factsKey() string          { return b.prefix + ":facts" }
func (b *Bus) decKey(node string) string { return b.prefix + ":dec:" + node }

// SendFact appends f to the facts stream.
func (b *Bus) SendFact(ctx context.Context, f Fact) error {
	return b.add(ctx, b.factsKey(), factsMaxLen, f)
}

// SendDecisions appends each decision to its node's stream, in order, in
// one round trip.
func (b *Bus) SendDecisions(ctx context.Context, ds []Decision) error {
	if len(ds) == 0 {
		return nil
	}
	_, err := b.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, d := range ds {
			js, err := json.Marshal(d)
			if err != nil {
				return err
			}
			p.XAdd(ctx, &redis.XAddArgs{Stream: b.decKey(d.To), MaxLen: decisionsMaxLen, Approx: true, Values: []any{"m", js}})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cluster: send decisions: %w", err)
	}
	return nil
}

func (b *Bus) add(ctx context.Context, key string, maxLen int64, v any) error {
	js, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := b.rdb.XAdd(ctx, &redis.XAddArgs{Stream: key, MaxLen: maxLen, Approx: true, Values: []any{"m", js}}).Err(); err != nil {
		return fmt.Errorf("cluster: xadd %s: %w", key, err)
	}
	return nil
}

// FactReader is a leader's read side of the facts stream: a consumer
// group of its own term, created at the stream's end.
type FactReader struct {
	b        *Bus
	group    string
	consumer string
}

// OpenFacts starts term token's reading of the facts: it removes the
// groups of older terms (a paused older leader then gets ErrDeposed; an
// older leader that opens after a newer one gets it at once) and
// creates this term's group at the end of the stream (older facts are
// superseded by the nodes' reports).
func (b *Bus) OpenFacts(ctx context.Context, token int64, consumer string) (*FactReader, error) {
	group := "t" + strconv.FormatInt(token, 10)
	err := b.rdb.XGroupCreateMkStream(ctx, b.factsKey(), group, "$").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return nil, fmt.Errorf("cluster: facts group %s: %w", group, err)
	}
	groups, err := b.rdb.XInfoGroups(ctx, b.factsKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("cluster: facts groups: %w", err)
	}
	for _, g := range groups {
		n, _ := strconv.ParseInt(strings.TrimPrefix(g.Name, "t"), 10, 64)
		drop := g.Name
		switch {
		case n == token:
			continue
		case n > token: // a later term already reads: we are not the leader
			drop = group
		}
		if err := b.rdb.XGroupDestroy(ctx, b.factsKey(), drop).Err(); err != nil {
			return nil, fmt.Errorf("cluster: drop facts group %s: %w", drop, err)
		}
		if drop == group {
			return nil, ErrDeposed
		}
	}
	return &FactReader{b: b, group: group, consumer: consumer}, nil
}

// Read waits up to block for facts (at most max) and returns them with
// their stream ids, for Ack. Malformed entries are returned as ids only
// (so they are acknowledged) and counted in bad.
func (r *FactReader) Read(ctx context.Context, block time.Duration, max int64) (facts []Fact, ids []string, bad int, err error) {
	res, err := r.b.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: r.group, Consumer: r.consumer, Streams: []string{r.b.factsKey(), ">"}, Count: max, Block: block,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil, 0, nil
	}
	if err != nil {
		if strings.HasPrefix(err.Error(), "NOGROUP") {
			return nil, nil, 0, ErrDeposed
		}
		return nil, nil, 0, fmt.Errorf("cluster: read facts: %w", err)
	}
	for _, s := range res {
		for _, m := range s.Messages {
			ids = append(ids, m.ID)
			var f Fact
			if decode(m, &f) != nil {
				bad++
				continue
			}
			facts = append(facts, f)
		}
	}
	return facts, ids, bad, nil
}

// Ack acknowledges facts the leader has applied.
func (r *FactReader) Ack(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return r.b.rdb.XAck(ctx, r.b.factsKey(), r.group, ids...).Err()
}

// DecisionReader is a node's read side of its decisions stream.
type DecisionReader struct {
	b    *Bus
	key  string
	last string
}

// Decisions reads node's decisions appended after since (a node that
// starts has nothing to act on from before).
func (b *Bus) Decisions(node string, since time.Time) *DecisionReader {
	return &DecisionReader{b: b, key: b.decKey(node), last: strconv.FormatInt(since.UnixMilli(), 10) + "-0"}
}

// Read waits up to block for decisions (at most max), in order; malformed
// entries are skipped and counted in bad.
func (r *DecisionReader) Read(ctx context.Context, block time.Duration, max int64) (ds []Decision, bad int, err error) {
	res, err := r.b.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{r.key, r.last}, Count: max, Block: block}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("cluster: read decisions: %w", err)
	}
	for _, s := range res {
		for _, m := range s.Messages {
			r.last = m.ID
			var d Decision
			if decode(m, &d) != nil {
				bad++
				continue
			}
			ds = append(ds, d)
		}
	}
	return ds, bad, nil
}

func decode(m redis.XMessage, v any) error {
	s, ok := m.Values["m"].(string)
	if !ok {
		return errors.New("no m field")
	}
	return json.Unmarshal([]byte(s), v)
}
