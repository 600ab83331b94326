package storetest

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"switchboard/store"
)

func TrunkCRUDKeepsPasswordAndNeverMarshalsIt(t *testing.T, be Backend) {
	dir := be.Fresh(t)
	s := be.Open(t, dir)
	ctx := t.Context()
	in := store.Trunk{ID: "carrier-a", Host: "192.0.2.10", Username: "acct", Password: "s3cret", Register: true,
		CallerID: "+4930123", Prefixes: []string{"+49", "0049"}, Priority: 5, Allow: []string{"192.0.2.0/24", "198.51.100.7"}}
	got, err := s.PutTrunk(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	want := in
	want.Name, want.Transport, want.SRTP, want.RegisterExpires, want.HasPassword = "carrier-a", "udp", "off", 3600, true
	want.Allow = []string{"192.0.2.0/24", "198.51.100.7/32"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("PutTrunk = %+v, want %+v", got, want)
	}
	b, _ := json.Marshal(got)
	if strings.Contains(string(b), "s3cret") || !strings.Contains(string(b), `"has_password":true`) {
		t.Fatalf("JSON %s: password must never appear, has_password must", b)
	}
	// An update without a password keeps it.
	in.Password, in.Priority = "", 1
	if got, err = s.PutTrunk(ctx, in); err != nil || got.Password != "s3cret" || got.Priority != 1 {
		t.Fatalf("PutTrunk(no password) = %+v, %v; want password kept", got, err)
	}
	if _, err := s.PutTrunk(ctx, store.Trunk{ID: "b", Host: "carrier.example.net", Transport: "TLS"}); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s = be.Open(t, dir) // survives a restart
	list, err := s.ListTrunks(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "b" || list[0].Transport != "tls" || list[1].Password != "s3cret" {
		t.Fatalf("ListTrunks = %+v, %v", list, err)
	}
	if err := s.DeleteTrunk(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetTrunk(ctx, "b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetTrunk(deleted) = %v, want ErrNotFound", err)
	}
	if err := s.DeleteTrunk(ctx, "b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteTrunk(deleted) = %v, want ErrNotFound", err)
	}
}

func TrunkValidation(t *testing.T, be Backend) {
	s := be.Open(t, be.Fresh(t))
	tests := []struct {
		name  string
		tr    store.Trunk
		field string
	}{
		{"bad id", store.Trunk{ID: "A B", Host: "h"}, "id"},
		{"no host", store.Trunk{ID: "a"}, "host"},
		{"host with space", store.Trunk{ID: "a", Host: "a b"}, "host"},
		{"port", store.Trunk{ID: "a", Host: "h", Port: 70000}, "port"},
		{"transport", store.Trunk{ID: "a", Host: "h", Transport: "sctp"}, "transport"},
		{"username", store.Trunk{ID: "a", Host: "h", Username: "a@b"}, "username"},
		{"expires", store.Trunk{ID: "a", Host: "h", RegisterExpires: 5}, "register_expires"},
		{"caller id", store.Trunk{ID: "a", Host: "h", CallerID: "12 34"}, "caller_id"},
		{"prefix", store.Trunk{ID: "a", Host: "h", Prefixes: []string{"4x"}}, "prefixes"},
		{"prefix twice", store.Trunk{ID: "a", Host: "h", Prefixes: []string{"49", "49"}}, "prefixes"},
		{"priority", store.Trunk{ID: "a", Host: "h", Priority: 5000}, "priority"},
		{"allow", store.Trunk{ID: "a", Host: "h", Allow: []string{"10.0.0.0/33"}}, "allow"},
		{"srtp", store.Trunk{ID: "a", Host: "h", SRTP: "maybe"}, "srtp"},
		{"max calls", store.Trunk{ID: "a", Host: "h", MaxCalls: -1}, "max_calls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.PutTrunk(t.Context(), tt.tr)
			var ve *store.ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.field {
				t.Errorf("PutTrunk(%+v) = %v, want a ValidationError on %s", tt.tr, err, tt.field)
			}
		})
	}
}

func AgentCallerID(t *testing.T, be Backend) {
	s := be.Open(t, be.Fresh(t))
	ctx := t.Context()
	a, err := s.PutAgent(ctx, store.Agent{ID: "ann", Extension: "1001", CallerID: "+4930555"})
	if err != nil || a.CallerID != "+4930555" {
		t.Fatalf("PutAgent = %+v, %v", a, err)
	}
	if as, err := s.ListAgents(ctx); err != nil || as[0].CallerID != "+4930555" {
		t.Fatalf("ListAgents = %+v, %v", as, err)
	}
	if a, err = s.PutAgent(ctx, store.Agent{ID: "ann", Extension: "1001"}); err != nil || a.CallerID != "" {
		t.Fatalf("PutAgent(clear caller id) = %+v, %v", a, err)
	}
	var ve *store.ValidationError
	if _, err := s.PutAgent(ctx, store.Agent{ID: "ann", Extension: "1001", CallerID: "<x>"}); !errors.As(err, &ve) || ve.Field != "caller_id" {
		t.Fatalf("PutAgent(bad caller id) = %v", err)
	}
	if err := s.DeleteAgent(ctx, "ann"); err != nil {
		t.Fatal(err)
	}
}
