package console

import (
	"context"

	"switchboard/signaling/ws"
	"switchboard/store"
)

// Custom activities (PROTOCOL §10): activity.put/list/delete. The four
// built-ins are listed and cannot be changed or deleted.

// ActivityApplier takes activity changes to the agents. The orchestrator
// implements it beside Applier.
type ActivityApplier interface {
	ApplyActivity(a store.Activity)
	RemoveActivity(id string)
}

type activityPutParams struct {
	ID        string  `json:"id"`
	Name      *string `json:"name"`
	Available *bool   `json:"available"`
}

func (s *session) registerActivities() {
	s.Register("activity.put", ws.Typed(s.activityPut))
	s.Register("activity.delete", ws.Typed(s.activityDelete))
	s.Register("activity.list", ws.Typed(s.activityList))
}

func (s *session) activityStore() (store.ActivityStore, error) {
	st, ok := s.c.cfg.Store.(store.ActivityStore)
	if !ok {
		return nil, &ws.Error{Code: ws.CodeInternalError, Reason: "this store keeps no activities"}
	}
	return st, nil
}

func applyActivity(f func(ActivityApplier)) func(Applier) {
	return func(a Applier) {
		if aa, ok := a.(ActivityApplier); ok {
			f(aa)
		}
	}
}

func (s *session) activityPut(ctx context.Context, p activityPutParams) (store.Activity, error) {
	if p.ID == "" {
		return store.Activity{}, ws.InvalidParams("id: required")
	}
	if p.Available == nil {
		return store.Activity{}, ws.InvalidParams("available: required")
	}
	st, err := s.activityStore()
	if err != nil {
		return store.Activity{}, err
	}
	a := store.Activity{ID: p.ID, Available: *p.Available}
	if p.Name != nil {
		a.Name = *p.Name
	}
	a, err = st.PutActivity(ctx, a)
	if err != nil {
		return store.Activity{}, s.fail("activity.put", err)
	}
	s.changed("activity", a.ID, "put", applyActivity(func(ap ActivityApplier) { ap.ApplyActivity(a) }))
	return a, nil
}

func (s *session) activityDelete(ctx context.Context, p idParams) (empty, error) {
	if err := p.check(); err != nil {
		return empty{}, err
	}
	st, err := s.activityStore()
	if err != nil {
		return empty{}, err
	}
	if err := st.DeleteActivity(ctx, p.ID); err != nil {
		return empty{}, s.fail("activity.delete", err)
	}
	s.changed("activity", p.ID, "delete", applyActivity(func(ap ActivityApplier) { ap.RemoveActivity(p.ID) }))
	return empty{}, nil
}

func (s *session) activityList(ctx context.Context, _ struct{}) ([]store.Activity, error) {
	st, err := s.activityStore()
	if err != nil {
		return nil, err
	}
	out, err := st.ListActivities(ctx)
	if err != nil {
		return nil, s.fail("activity.list", err)
	}
	return out, nil
}
