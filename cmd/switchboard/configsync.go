package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"switchboard/events"
	"switchboard/store"
	"switchboard/store/postgres"
)

// configSync carries configuration changes between the nodes sharing a
// PostgreSQL store (PROTOCOL §13): every config.changed this node's
// console publishes is announced (NOTIFY); a change announced by another
// node is read back from the store and applied to this node's core and
// trunk, then published here as config.changed with detail.from set (so
// it is not announced again).
type configSync struct {
	g     *gateway
	ch    *postgres.Changes
	self  string
	sub   *events.Subscription
	ready chan struct{}
}

func newConfigSync(g *gateway, dsn string) (*configSync, error) {
	ch, err := postgres.NewChanges(dsn, g.log)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return &configSync{g: g, ch: ch, self: hex.EncodeToString(b), sub: g.hub.Subscribe(1024), ready: make(chan struct{})}, nil
}

// run announces and applies until ctx ends.
func (s *configSync) run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() {
		var once sync.Once
		_ = s.ch.Listen(ctx, s.apply, func() { // returns ctx.Err() only: run ends with ctx
			s.g.log.Warn("config sync reconnected: changes made meanwhile on other nodes apply here after a restart")
		},
			func() { once.Do(func() { close(s.ready) }); s.g.log.Info("config sync listening") })
	})
	wg.Go(func() {
		defer s.sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-s.sub.C:
				if !ok {
					return
				}
				if e.Type != events.ConfigChanged || e.Detail["from"] != nil {
					continue
				}
				kind, _ := e.Detail["kind"].(string)
				id, _ := e.Detail["id"].(string)
				op, _ := e.Detail["op"].(string)
				if err := s.ch.Notify(ctx, postgres.Change{From: s.self, Kind: kind, ID: id, Op: op}); err != nil {
					s.g.log.Warn("config change not announced to the other nodes", "kind", kind, "id", id, "err", err)
				}
			}
		}
	})
	wg.Wait()
	if err := s.ch.Close(); err != nil {
		s.g.log.Info("config sync close", "err", err)
	}
}

// apply applies another node's change to this node.
func (s *configSync) apply(c postgres.Change) {
	if c.From == s.self {
		return
	}
	ctx := context.Background()
	err := s.load(ctx, c)
	if err != nil {
		s.g.log.Warn("config change from another node not applied", "kind", c.Kind, "id", c.ID, "err", err)
		return
	}
	s.g.hub.Publish(events.Event{Type: events.ConfigChanged, Detail: map[string]any{"kind": c.Kind, "id": c.ID, "op": c.Op, "from": c.From}})
	s.g.log.Info("config changed on another node", "kind", c.Kind, "id", c.ID, "op", c.Op)
}

// load reads the object c names and applies it, or removes it when it is
// gone from the store.
func (s *configSync) load(ctx context.Context, c postgres.Change) error {
	st, core := s.g.store, s.g.core
	gone := func(err error) bool { return errors.Is(err, store.ErrNotFound) }
	switch c.Kind {
	case "agent":
		a, err := st.GetAgent(ctx, c.ID)
		if gone(err) {
			core.RemoveAgent(c.ID)
			return nil
		} else if err != nil {
			return err
		}
		core.ApplyAgent(a)
	case "queue":
		q, err := st.GetQueue(ctx, c.ID)
		if gone(err) {
			core.RemoveQueue(c.ID)
			return nil
		} else if err != nil {
			return err
		}
		core.ApplyQueue(q)
	case "route":
		r, err := st.GetRoute(ctx, c.ID)
		if gone(err) {
			core.RemoveRoute(c.ID)
			return nil
		} else if err != nil {
			return err
		}
		core.ApplyRoute(r)
	case "workflow":
		w, err := st.GetWorkflow(ctx, c.ID)
		if gone(err) {
			core.RemoveWorkflow(c.ID)
			return nil
		} else if err != nil {
			return err
		}
		core.ApplyWorkflow(w)
	case "menu":
		m, err := st.GetMenu(ctx, c.ID)
		if gone(err) {
			core.RemoveMenu(c.ID)
			return nil
		} else if err != nil {
			return err
		}
		core.ApplyMenu(m)
	case "activity":
		as, err := st.ListActivities(ctx)
		if err != nil {
			return err
		}
		for _, a := range as {
			if a.ID == c.ID {
				core.ApplyActivity(a)
				return nil
			}
		}
		core.RemoveActivity(c.ID)
	case "trunk":
		t, err := st.GetTrunk(ctx, c.ID)
		if gone(err) {
			trunkConsole{s.g.trunk}.RemoveTrunk(c.ID)
			return nil
		} else if err != nil {
			return err
		}
		trunkConsole{s.g.trunk}.ApplyTrunk(t)
	default:
		return fmt.Errorf("unknown kind %q", c.Kind)
	}
	return nil
}
