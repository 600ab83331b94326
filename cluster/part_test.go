package cluster_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/cluster"
	"switchboard/internal/redistest"
	"switchboard/internal/waittest"
)

// busOnRedis is a Bus with key prefix on a throwaway redis-server, and
// its client (closed at the test's end).
func busOnRedis(t *testing.T, prefix string) (*cluster.Bus, *redis.Client) {
	t.Helper()
	rdb := redistest.Start(t).Client()
	t.Cleanup(func() { _ = rdb.Close() })
	return cluster.NewBus(rdb, prefix), rdb
}

// Each node's part of the floor is read back for the live nodes asked;
// one that lapses (its node stopped beating) or that its node removed is
// left out, and a part over the bound is refused.
func TestFloorParts(t *testing.T) {
	bus, _ := busOnRedis(t, "pt")
	ctx := context.Background()
	must(t, bus.PutPart(ctx, "a", []byte(`{"node":"a"}`), time.Minute))
	must(t, bus.PutPart(ctx, "b", []byte(`{"node":"b"}`), 300*time.Millisecond))
	must(t, bus.PutPart(ctx, "c", []byte(`{"node":"c"}`), time.Minute))
	got, err := bus.Parts(ctx, []string{"a", "b", "z"})
	must(t, err)
	if len(got) != 2 || string(got["a"]) != `{"node":"a"}` || string(got["b"]) != `{"node":"b"}` {
		t.Fatalf("parts of a, b, z: %q", got)
	}
	waittest.For(t, "b's part lapses with its time to live", 10*time.Second, func() bool {
		got, err := bus.Parts(ctx, []string{"a", "b"})
		must(t, err)
		_, ok := got["b"]
		return !ok && got["a"] != nil
	})
	must(t, bus.DelPart(ctx, "a"))
	if got, _ := bus.Parts(ctx, []string{"a", "c"}); len(got) != 1 || got["c"] == nil {
		t.Errorf("after a left: %q", got)
	}
	if got, err := bus.Parts(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("no nodes: %q %v", got, err)
	}
	big := bytes.Repeat([]byte("x"), cluster.MaxPartBytes+1)
	if err := bus.PutPart(ctx, "a", big, time.Minute); !errors.Is(err, cluster.ErrPartTooBig) {
		t.Errorf("a part over the bound: %v", err)
	}
}

// An agent's activity is kept across nodes, with a time to live.
func TestActivityKept(t *testing.T) {
	bus, rdb := busOnRedis(t, "ak")
	ctx := context.Background()
	if _, ok, err := bus.Activity(ctx, "x"); ok || err != nil {
		t.Fatalf("nothing kept yet: %v %v", ok, err)
	}
	must(t, bus.PutActivity(ctx, "x", "break"))
	must(t, bus.PutActivity(ctx, "x", "lunch"))
	if act, ok, err := bus.Activity(ctx, "x"); act != "lunch" || !ok || err != nil {
		t.Errorf("x: %q %v %v, want lunch", act, ok, err)
	}
	if ttl := rdb.TTL(ctx, "ak:activity:x").Val(); ttl <= 0 || ttl > cluster.ActivityTTL {
		t.Errorf("time to live %v, want up to %v", ttl, cluster.ActivityTTL)
	}
}

// Lost calls kept for an agent's next login are taken once, at most
// MaxTold of them (the latest), with a time to live.
func TestToldKept(t *testing.T) {
	bus, rdb := busOnRedis(t, "tk")
	ctx := context.Background()
	for i := range cluster.MaxTold + 2 {
		must(t, bus.PushTold(ctx, "x", fmt.Sprint("c", i)))
	}
	if ttl := rdb.PTTL(ctx, "tk:told:x").Val(); ttl <= 0 || ttl > cluster.ToldTTL {
		t.Errorf("time to live %v", ttl)
	}
	got, err := bus.TakeTold(ctx, "x")
	must(t, err)
	if len(got) != cluster.MaxTold || got[0] != "c2" || got[len(got)-1] != fmt.Sprint("c", cluster.MaxTold+1) {
		t.Errorf("taken: %q, want c2..c%d", got, cluster.MaxTold+1)
	}
	if got, err := bus.TakeTold(ctx, "x"); len(got) != 0 || err != nil {
		t.Errorf("taken twice: %q %v", got, err)
	}
}
