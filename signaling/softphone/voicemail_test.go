package softphone_test

import (
	"testing"

	"switchboard/signaling/ws"
	"switchboard/store"
)

// The voicemail methods answer bad input with the JSON-RPC error and a
// reason; the login result carries the session's http_token.
func TestVoicemailMethods(t *testing.T) {
	url := newServer(t)
	c, res := loginA1(t, url)
	if len(res.HTTPToken) < 32 {
		t.Errorf("login http_token %q, want a long random token", res.HTTPToken)
	}
	var l []store.Voicemail
	c.MustCall("voicemail.list", nil, &l)
	if l == nil || len(l) != 0 {
		t.Errorf("voicemail.list = %v, want [] (voicemail off here)", l)
	}
	for _, tc := range []struct {
		method string
		params map[string]any
		code   int
	}{
		{"voicemail.mark", map[string]any{}, ws.CodeInvalidParams},
		{"voicemail.mark", map[string]any{"id": "vm1"}, ws.CodeInvalidParams},
		{"voicemail.mark", map[string]any{"id": "vm1", "heard": true}, ws.CodeConflict},
		{"voicemail.delete", map[string]any{}, ws.CodeInvalidParams},
		{"voicemail.delete", map[string]any{"id": "vm1"}, ws.CodeConflict},
	} {
		err := c.Call(t.Context(), tc.method, tc.params, nil)
		if err == nil || code(t, err) != tc.code {
			t.Errorf("%s %v = %v, want %d", tc.method, tc.params, err, tc.code)
		}
	}
}
