package console

import (
	"context"
	"errors"

	"switchboard/signaling/ws"
	"switchboard/store"
)

// Trunks is the live side of the trunk configuration (PROTOCOL §9):
// changes reach the SIP side at once, and each trunk reports its status.
// Implemented by the orchestrator; calls come from connection goroutines.
type Trunks interface {
	ApplyTrunk(t store.Trunk)
	RemoveTrunk(id string)
	TrunkStatus(id string) TrunkStatus
}

// TrunkStatus is a trunk's live state, as trunk.get/list report it.
type TrunkStatus struct {
	Registration    string `json:"registration"`               // disabled, registering, registered or failed
	RegisteredUntil string `json:"registered_until,omitempty"` // RFC 3339, while registered
	LastError       string `json:"last_error,omitempty"`
	ActiveCalls     int    `json:"active_calls"`
	CallsIn         int64  `json:"calls_in"`
	CallsOut        int64  `json:"calls_out"`
}

// trunkView is a Trunk as the console answers it: configuration (never
// the password) and live status.
type trunkView struct {
	store.Trunk
	Status TrunkStatus `json:"status"`
}

// trunkPutParams: omitted optional fields keep their current value on
// update and take the default on create.
type trunkPutParams struct {
	ID              string    `json:"id"`
	Name            *string   `json:"name"`
	Host            *string   `json:"host"`
	Port            *int      `json:"port"`
	Transport       *string   `json:"transport"`
	Username        *string   `json:"username"`
	Password        *string   `json:"password"`
	Register        *bool     `json:"register"`
	RegisterExpires *int      `json:"register_expires"`
	CallerID        *string   `json:"caller_id"`
	Prefixes        *[]string `json:"prefixes"`
	Priority        *int      `json:"priority"`
	Allow           *[]string `json:"allow"`
	SRTP            *string   `json:"srtp"`
	MaxCalls        *int      `json:"max_calls"`
}

func (p trunkPutParams) apply(t *store.Trunk) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	seti := func(dst *int, src *int) {
		if src != nil {
			*dst = *src
		}
	}
	set(&t.Name, p.Name)
	set(&t.Host, p.Host)
	seti(&t.Port, p.Port)
	set(&t.Transport, p.Transport)
	set(&t.Username, p.Username)
	set(&t.Password, p.Password)
	if p.Register != nil {
		t.Register = *p.Register
	}
	seti(&t.RegisterExpires, p.RegisterExpires)
	set(&t.CallerID, p.CallerID)
	if p.Prefixes != nil {
		t.Prefixes = *p.Prefixes
	}
	seti(&t.Priority, p.Priority)
	if p.Allow != nil {
		t.Allow = *p.Allow
	}
	set(&t.SRTP, p.SRTP)
	seti(&t.MaxCalls, p.MaxCalls)
}

func (s *session) trunkStore() (store.TrunkStore, error) {
	ts, ok := s.c.cfg.Store.(store.TrunkStore)
	if !ok {
		return nil, &ws.Error{Code: ws.CodeInternalError, Reason: "this store keeps no trunks"}
	}
	return ts, nil
}

func (s *session) view(t store.Trunk) trunkView {
	t.Password = ""
	v := trunkView{Trunk: t, Status: TrunkStatus{Registration: "disabled"}}
	if tr := s.c.cfg.Trunks; tr != nil {
		v.Status = tr.TrunkStatus(t.ID)
	}
	return v
}

func (s *session) trunkPut(ctx context.Context, p trunkPutParams) (trunkView, error) {
	if p.ID == "" {
		return trunkView{}, ws.InvalidParams("id: required")
	}
	ts, err := s.trunkStore()
	if err != nil {
		return trunkView{}, err
	}
	cur, err := ts.GetTrunk(ctx, p.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if p.Host == nil {
			return trunkView{}, ws.InvalidParams("host: required")
		}
		cur = store.Trunk{ID: p.ID}
	case err != nil:
		return trunkView{}, s.fail("trunk.put", err)
	}
	cur.Password = "" // keep the stored one unless a new one is given
	if p.Port != nil && *p.Port == 0 {
		return trunkView{}, ws.InvalidParams("port: 0 out of range 1..65535 (omit it for the default)")
	}
	p.apply(&cur)
	t, err := ts.PutTrunk(ctx, cur)
	if err != nil {
		return trunkView{}, s.fail("trunk.put", err)
	}
	s.changed("trunk", t.ID, "put", func(Applier) {})
	if tr := s.c.cfg.Trunks; tr != nil {
		tr.ApplyTrunk(t)
	}
	return s.view(t), nil
}

func (s *session) trunkGet(ctx context.Context, p idParams) (trunkView, error) {
	if err := p.check(); err != nil {
		return trunkView{}, err
	}
	ts, err := s.trunkStore()
	if err != nil {
		return trunkView{}, err
	}
	t, err := ts.GetTrunk(ctx, p.ID)
	if err != nil {
		return trunkView{}, s.fail("trunk.get", err)
	}
	return s.view(t), nil
}

func (s *session) trunkDelete(ctx context.Context, p idParams) (empty, error) {
	if err := p.check(); err != nil {
		return empty{}, err
	}
	ts, err := s.trunkStore()
	if err != nil {
		return empty{}, err
	}
	if err := ts.DeleteTrunk(ctx, p.ID); err != nil {
		return empty{}, s.fail("trunk.delete", err)
	}
	s.changed("trunk", p.ID, "delete", func(Applier) {})
	if tr := s.c.cfg.Trunks; tr != nil {
		tr.RemoveTrunk(p.ID)
	}
	return empty{}, nil
}

func (s *session) trunkList(ctx context.Context, _ struct{}) ([]trunkView, error) {
	ts, err := s.trunkStore()
	if err != nil {
		return nil, err
	}
	list, err := ts.ListTrunks(ctx)
	if err != nil {
		return nil, s.fail("trunk.list", err)
	}
	out := make([]trunkView, len(list))
	for i, t := range list {
		out[i] = s.view(t)
	}
	return out, nil
}

// registerTrunks adds the trunk.* methods to a session.
func (s *session) registerTrunks() {
	s.Register("trunk.put", ws.Typed(s.trunkPut))
	s.Register("trunk.get", ws.Typed(s.trunkGet))
	s.Register("trunk.delete", ws.Typed(s.trunkDelete))
	s.Register("trunk.list", ws.Typed(s.trunkList))
}
