package cluster_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/cluster"
	"switchboard/internal/redistest"
	"switchboard/internal/waittest"
)

// The event feed: what one node publishes reaches every follower once, in
// order; an event over MaxEventBytes is left out (counted).
func TestEventFeed(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	defer rdb.Close()
	bus := cluster.NewBus(rdb, "sb")
	ctx, cancel := context.WithCancel(t.Context())
	var mu sync.Mutex
	got := map[int][]string{}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	ready := make(chan struct{}, 2)
	for i := range 2 {
		frdb := srv.Client()
		defer frdb.Close()
		fbus := cluster.NewBus(frdb, "sb")
		wg.Go(func() {
			err := fbus.FollowEvents(ctx, func() { ready <- struct{}{} }, func(js []byte) {
				mu.Lock()
				got[i] = append(got[i], string(js))
				mu.Unlock()
			})
			if err != nil {
				t.Errorf("follower %d: %v", i, err)
			}
		})
	}
	for range 2 {
		select {
		case <-ready:
		case <-time.After(5 * time.Second):
			t.Fatal("followers not subscribed within 5 s")
		}
	}
	big := `"` + strings.Repeat("x", cluster.MaxEventBytes) + `"`
	skipped, err := bus.PublishEvents(ctx, [][]byte{[]byte(`{"seq":1}`), []byte(big), []byte(`{"seq":2}`)})
	if err != nil || skipped != 1 {
		t.Fatalf("PublishEvents = %d skipped, %v; want 1 skipped", skipped, err)
	}
	if _, err := bus.PublishEvents(ctx, [][]byte{[]byte(`{"seq":3}`)}); err != nil {
		t.Fatal(err)
	}
	want := `{"seq":1} {"seq":2} {"seq":3}`
	waittest.For(t, "both followers have the three events", 5*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(got[0], " ") == want && strings.Join(got[1], " ") == want
	})
}
