package main

import (
	"testing"
	"time"

	"switchboard/internal/pgtest"
	"switchboard/signaling/ws/wstest"
)

// Two gateways with -store on one PostgreSQL share the configuration: a
// queue written through node 1's console is read through node 2's, and
// both keep their own -data for files.
func TestBinaryStorePostgres(t *testing.T) {
	srv := pgtest.Start(t)
	srv.NewDB(t) // t1
	url := srv.URL("t1")
	n1 := startGateway(t, 52000, "-store", url, "-admin-token", "tok")
	n2 := startGateway(t, 54000, "-store", url, "-admin-token", "tok")
	dial := func(g *child) *wstest.Client { t.Helper(); return dialAdmin(t, g) }
	dial(n1).MustCall("queue.put", map[string]any{"id": "shared", "name": "Shared", "wrapup_seconds": 7}, nil)
	var q struct {
		ID            string `json:"id"`
		Name          string `json:"name"`
		WrapupSeconds int    `json:"wrapup_seconds"`
	}
	dial(n2).MustCall("queue.get", map[string]any{"id": "shared"}, &q)
	if q.ID != "shared" || q.Name != "Shared" || q.WrapupSeconds != 7 {
		t.Fatalf("node 2 reads queue %+v, want node 1's write", q)
	}
	// A change on node 1 reaches node 2's live floor (its core, what it
	// routes with) within 1 s: LISTEN/NOTIFY, then node 2 reads the store.
	c2 := dial(n2)
	onFloor := func(id string) bool {
		var st struct {
			Queues []struct {
				ID string `json:"id"`
			} `json:"queues"`
		}
		c2.MustCall("state", nil, &st)
		for _, q := range st.Queues {
			if q.ID == id {
				return true
			}
		}
		return false
	}
	deadline := time.Now().Add(10 * time.Second)
	for n2.count("config sync listening") == 0 || n1.count("config sync listening") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("config sync not listening on both nodes")
		}
		time.Sleep(10 * time.Millisecond)
	}
	c1 := dial(n1)
	for i, id := range []string{"live1", "live2", "live3"} {
		if onFloor(id) {
			t.Fatalf("queue %s on node 2's floor before it was made", id)
		}
		start := time.Now()
		c1.MustCall("queue.put", map[string]any{"id": id}, nil)
		for !onFloor(id) {
			if time.Since(start) > time.Second {
				t.Fatalf("change %d: queue %s not on node 2's floor 1 s after node 1 made it", i, id)
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Logf("queue %s made on node 1 is on node 2's floor after %v", id, time.Since(start).Round(time.Millisecond))
	}
	c1.MustCall("queue.delete", map[string]any{"id": "live1"}, nil)
	for start := time.Now(); onFloor("live1"); time.Sleep(5 * time.Millisecond) {
		if time.Since(start) > time.Second {
			t.Fatal("queue live1 deleted on node 1 still on node 2's floor after 1 s")
		}
	}
}
