package cluster_test

import (
	"context"
	"testing"

	"switchboard/cluster"
)

// A dead node's ledger is taken once, by the current term only: a
// deposed term's take gets nothing and leaves it; the node itself (token
// 0, at its next start) could take it too.
func TestLedgerTakenByTheCurrentTerm(t *testing.T) {
	bus, rdb := busOnRedis(t, "lt")
	ctx := context.Background()
	must(t, rdb.Set(ctx, "lt:fence", 5, 0).Err())
	must(t, bus.PutCall(ctx, "b", cluster.LostCall{ID: "b/c1", Agent: "x", Info: cluster.CallInfo{Queue: "sales"}}))
	must(t, bus.PutCall(ctx, "b", cluster.LostCall{ID: "b/c2"}))
	must(t, bus.PutCall(ctx, "b", cluster.LostCall{ID: "b/c3"}))
	must(t, bus.DelCall(ctx, "b", "b/c3"))
	if ns, err := bus.LedgerNodes(ctx); err != nil || len(ns) != 1 || ns[0] != "b" {
		t.Fatalf("ledger nodes %v %v", ns, err)
	}
	if got, err := bus.TakeCalls(ctx, "b", 4); err != nil || len(got) != 0 {
		t.Fatalf("deposed term 4 took %v (%v)", got, err)
	}
	got, err := bus.TakeCalls(ctx, "b", 5)
	if err != nil || len(got) != 2 {
		t.Fatalf("term 5 took %+v (%v), want b/c1 and b/c2", got, err)
	}
	for _, c := range got {
		if c.ID == "b/c1" && (c.Agent != "x" || c.Info.Queue != "sales") {
			t.Errorf("b/c1 taken as %+v", c)
		}
	}
	if again, _ := bus.TakeCalls(ctx, "b", 5); len(again) != 0 {
		t.Errorf("taken twice: %v", again)
	}
	if ns, _ := bus.LedgerNodes(ctx); len(ns) != 0 {
		t.Errorf("ledger nodes after the take: %v", ns)
	}
	must(t, bus.PutCall(ctx, "c", cluster.LostCall{ID: "c/c1"}))
	if own, _ := bus.TakeCalls(ctx, "c", 0); len(own) != 1 {
		t.Errorf("the node's own take at start: %v", own)
	}
}
