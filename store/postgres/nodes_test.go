package postgres_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"switchboard/internal/pgtest"
	"switchboard/store"
	"switchboard/store/postgres"
	"switchboard/store/storetest"
)

// Two nodes (two stores, each with its own connection pool, on one
// database) editing one agent at once: the advisory lock serializes their
// write transactions, so no increment is lost and an extension cannot be
// taken twice.
func TestTwoNodesWritesSerialized(t *testing.T) {
	srv := pgtest.Start(t)
	dsn := srv.NewDB(t)
	var nodes [2]storetest.Store
	for i := range nodes {
		s, err := postgres.Open(t.Context(), dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		nodes[i] = s
	}
	ctx := t.Context()
	if _, err := nodes[0].PutAgent(ctx, store.Agent{ID: "bob", Extension: "1001", Name: "n0"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		s := nodes[w%2]
		wg.Go(func() {
			for range 10 {
				if _, err := s.EditAgent(ctx, "bob", storetest.BumpName); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	// Meanwhile both nodes race to create agents with one extension.
	var taken sync.Map
	for i := range 8 {
		s := nodes[i%2]
		wg.Go(func() {
			id := fmt.Sprintf("x%d", i)
			if _, err := s.PutAgent(ctx, store.Agent{ID: id, Extension: "2000"}); err == nil {
				taken.Store(id, true)
			} else if !errors.Is(err, store.ErrDuplicate) {
				t.Errorf("PutAgent(%s): %v", id, err)
			}
		})
	}
	wg.Wait()
	if got, _ := nodes[1].GetAgent(ctx, "bob"); got.Name != "n40" {
		t.Errorf("after 40 increments from two nodes Name = %s: updates lost", got.Name)
	}
	n := 0
	taken.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Errorf("%d agents got extension 2000, want exactly 1", n)
	}
}
