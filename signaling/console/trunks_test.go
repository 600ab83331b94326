package console_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"switchboard/signaling/console"
	"switchboard/signaling/ws"
	"switchboard/store"
)

// fakeTrunks records applied trunks and reports a fixed status.
type fakeTrunks struct {
	mu      sync.Mutex // guards following
	applied []store.Trunk
	removed []string
}

func (f *fakeTrunks) ApplyTrunk(t store.Trunk) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied = append(f.applied, t)
}

func (f *fakeTrunks) RemoveTrunk(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, id)
}

func (f *fakeTrunks) TrunkStatus(id string) console.TrunkStatus {
	return console.TrunkStatus{Registration: "registered", RegisteredUntil: "2026-01-02T15:04:05.000Z", ActiveCalls: 1, CallsIn: 2, CallsOut: 3}
}

func TestTrunkMethods(t *testing.T) {
	ft := &fakeTrunks{}
	e := newEnv(t, func(c *console.Config) { c.Trunks = ft })
	c := e.admin()
	var got map[string]any
	c.MustCall("trunk.put", map[string]any{"id": "carrier-a", "host": "192.0.2.1", "username": "u", "password": "pw-secret",
		"register": true, "prefixes": []string{"+49"}, "priority": 2, "allow": []string{"192.0.2.0/24"}, "caller_id": "+4930123"}, &got)
	raw, _ := json.Marshal(got)
	if strings.Contains(string(raw), "pw-secret") || strings.Contains(string(raw), `"password"`) {
		t.Fatalf("trunk.put result %s carries the password", raw)
	}
	st, _ := got["status"].(map[string]any)
	if got["transport"] != "udp" || got["has_password"] != true || st["registration"] != "registered" || st["calls_out"] != 3.0 {
		t.Fatalf("trunk.put = %s", raw)
	}
	// An update that omits fields keeps them, the password too.
	c.MustCall("trunk.put", map[string]any{"id": "carrier-a", "priority": 1}, &got)
	stored, err := e.store.GetTrunk(t.Context(), "carrier-a")
	if err != nil || stored.Password != "pw-secret" || stored.Priority != 1 || !stored.Register || stored.Host != "192.0.2.1" {
		t.Fatalf("stored after partial put = %+v, %v", stored, err)
	}
	var list []map[string]any
	c.MustCall("trunk.list", nil, &list)
	if len(list) != 1 || list[0]["id"] != "carrier-a" {
		t.Fatalf("trunk.list = %v", list)
	}
	c.MustCall("trunk.get", map[string]string{"id": "carrier-a"}, &got)
	raw, _ = json.Marshal(got)
	if strings.Contains(string(raw), "pw-secret") {
		t.Fatalf("trunk.get %s carries the password", raw)
	}
	wantErr(t, c, "trunk.put", map[string]any{"id": "b"}, ws.CodeInvalidParams, "host: required")
	wantErr(t, c, "trunk.put", map[string]any{"id": "b", "host": "h", "transport": "sctp"}, ws.CodeInvalidParams, "transport")
	wantErr(t, c, "trunk.get", map[string]string{"id": "nope"}, ws.CodeNotFound, "not found")
	c.MustCall("trunk.delete", map[string]string{"id": "carrier-a"}, nil)
	wantErr(t, c, "trunk.delete", map[string]string{"id": "carrier-a"}, ws.CodeNotFound, "not found")
	ft.mu.Lock()
	defer ft.mu.Unlock()
	if len(ft.applied) != 2 || ft.applied[1].Password != "pw-secret" || len(ft.removed) != 1 {
		t.Fatalf("applied %d trunks (last %+v), removed %v", len(ft.applied), ft.applied, ft.removed)
	}
}

func TestAgentCallerIDParam(t *testing.T) {
	e := newEnv(t, nil)
	c := e.admin()
	var a map[string]any
	c.MustCall("agent.put", map[string]any{"id": "ann", "extension": "1001", "caller_id": "+4930555"}, &a)
	if a["caller_id"] != "+4930555" {
		t.Fatalf("agent.put = %v", a)
	}
	wantErr(t, c, "agent.put", map[string]any{"id": "ann", "caller_id": "a b"}, ws.CodeInvalidParams, "caller_id")
}
