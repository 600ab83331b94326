package storetest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"switchboard/store"
)

// Voicemail metadata: add, list by box newest first, mark, delete, expire,
// bad input refused, and messages survive a reopen.
func VoicemailStore(t *testing.T, be Backend) {
	dir := be.Fresh(t)
	s := be.Open(t, dir)
	ctx := t.Context()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, v := range []store.Voicemail{
		{ID: "v1", Agent: "a1", From: "+1555", At: t0, Seconds: 4.5, File: "voicemail/v1.wav"},
		{ID: "v2", Agent: "a1", From: "+1556", At: t0.Add(time.Minute), Seconds: 2, File: "voicemail/v2.wav"},
		{ID: "v3", Queue: "sales", From: "+1557", At: t0.Add(2 * time.Minute), Seconds: 3, File: "voicemail/v3.wav"},
	} {
		if err := s.AddVoicemail(ctx, v); err != nil {
			t.Fatalf("add %d: %v", i, err)
		}
	}
	for _, bad := range []store.Voicemail{
		{ID: "x1", From: "+1", File: "f"},
		{ID: "x2", Agent: "a1", Queue: "sales", File: "f"},
		{ID: "x3", Agent: "a1"},
		{ID: "bad id!", Agent: "a1", File: "f"},
	} {
		if err := s.AddVoicemail(ctx, bad); err == nil {
			t.Errorf("AddVoicemail(%+v) accepted", bad)
		}
	}
	ids := func(vs []store.Voicemail) string {
		var out []string
		for _, v := range vs {
			out = append(out, v.ID)
		}
		return strings.Join(out, ",")
	}
	if l, err := s.ListVoicemail(ctx, store.VoicemailFilter{Agent: "a1"}); err != nil || ids(l) != "v2,v1" {
		t.Errorf("a1's box = %v, %v, want v2,v1", ids(l), err)
	}
	if l, _ := s.ListVoicemail(ctx, store.VoicemailFilter{Queue: "sales"}); ids(l) != "v3" {
		t.Errorf("sales box = %v", ids(l))
	}
	if v, err := s.MarkVoicemail(ctx, "v1", true); err != nil || !v.Heard || v.Seconds != 4.5 || !v.At.Equal(t0) {
		t.Errorf("mark = %+v, %v", v, err)
	}
	if _, err := s.MarkVoicemail(ctx, "nope", true); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("mark unknown = %v", err)
	}
	b, _ := json.Marshal(store.Voicemail{ID: "v", Agent: "a", At: t0, File: "secret"})
	if strings.Contains(string(b), "secret") || !strings.Contains(string(b), `"at":"2026-01-02T03:04:05.000Z"`) {
		t.Errorf("JSON %s", b)
	}
	if v, err := s.DeleteVoicemail(ctx, "v2"); err != nil || v.File != "voicemail/v2.wav" {
		t.Errorf("delete = %+v, %v", v, err)
	}
	if _, err := s.DeleteVoicemail(ctx, "v2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete = %v", err)
	}
	old, err := s.ExpireVoicemail(ctx, t0.Add(time.Minute))
	if err != nil || ids(old) != "v1" {
		t.Errorf("expire = %v, %v, want v1", ids(old), err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := be.Open(t, dir)
	if l, err := s2.ListVoicemail(ctx, store.VoicemailFilter{}); err != nil || ids(l) != "v3" {
		t.Errorf("after reopen = %v, %v, want v3", ids(l), err)
	}
}
