package postgres_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"switchboard/internal/pgtest"
	"switchboard/store"
	"switchboard/store/postgres"
)

// Two nodes (two stores, each with its own connection pool, on one
// database) editing one agent at once: the advisory lock serializes their
// write transactions, so no increment is lost and an extension cannot be
// taken twice.
func TestTwoNodesWritesSerialized(t *testing.T) {
	srv := pgtest.Start(t)
	dsn := srv.NewDB(t)
	a, err := postgres.Open(t.Context(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := postgres.Open(t.Context(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := t.Context()
	if _, err := a.PutAgent(ctx, store.Agent{ID: "bob", Extension: "1001", Name: "n0"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		s := a
		if w%2 == 1 {
			s = b
		}
		wg.Go(func() {
			for range 10 {
				_, err := s.EditAgent(ctx, "bob", func(cur store.Agent, exists bool) (store.Agent, error) {
					if !exists {
						return cur, errors.New("vanished")
					}
					var n int
					fmt.Sscanf(cur.Name, "n%d", &n)
					cur.Name = fmt.Sprintf("n%d", n+1)
					return cur, nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	// Meanwhile both nodes race to create agents with one extension.
	var taken sync.Map
	for i := range 8 {
		s := a
		if i%2 == 1 {
			s = b
		}
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
	if got, _ := b.GetAgent(ctx, "bob"); got.Name != "n40" {
		t.Errorf("after 40 increments from two nodes Name = %s: updates lost", got.Name)
	}
	n := 0
	taken.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Errorf("%d agents got extension 2000, want exactly 1", n)
	}
}
