package console_test

import (
	"testing"
	"time"

	"switchboard/signaling/ws"
	"switchboard/store"
)

// voicemail.list {agent?, queue?}: the store's messages by box, newest
// first; bad ids refused with a reason.
func TestVoicemailList(t *testing.T) {
	e := newEnv(t, nil)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, v := range []store.Voicemail{
		{ID: "vm1", Agent: "a1", From: "+331", At: at, Seconds: 2, File: "vm1.wav"},
		{ID: "vm2", Queue: "sales", From: "+332", At: at.Add(time.Minute), Seconds: 3, File: "vm2.wav"},
		{ID: "vm3", Agent: "a1", From: "+333", At: at.Add(2 * time.Minute), Seconds: 4, File: "vm3.wav"},
	} {
		if err := e.store.AddVoicemail(t.Context(), v); err != nil {
			t.Fatal(i, err)
		}
	}
	c := e.admin()
	for _, tc := range []struct {
		params map[string]string
		want   []string
	}{
		{nil, []string{"vm3", "vm2", "vm1"}},
		{map[string]string{"agent": "a1"}, []string{"vm3", "vm1"}},
		{map[string]string{"queue": "sales"}, []string{"vm2"}},
		{map[string]string{"agent": "nobody"}, []string{}},
	} {
		var l []map[string]any
		c.MustCall("voicemail.list", tc.params, &l)
		var got []string
		for _, v := range l {
			got = append(got, v["id"].(string))
			if _, ok := v["file"]; ok {
				t.Errorf("message %v carries its file name", v)
			}
		}
		if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
			t.Errorf("voicemail.list %v = %v, want %v", tc.params, got, tc.want)
		}
	}
	wantErr(t, c, "voicemail.list", map[string]string{"agent": "BAD ID"}, ws.CodeInvalidParams, "agent")
}
