package softphone_test

import (
	"testing"

	"switchboard/agent"
	"switchboard/signaling/ws"
)

// call.park and call.pickup answer bad input with the JSON-RPC error and a
// reason; the login result carries the floor's parked calls.
func TestParkMethods(t *testing.T) {
	url := newServer(t)
	c, res := loginA1(t, url)
	if res.Parked == nil {
		t.Errorf("login result parked = nil, want []")
	}
	for _, tc := range []struct {
		method string
		params map[string]string
		code   int
	}{
		{"call.park", map[string]string{}, ws.CodeInvalidParams},
		{"call.park", map[string]string{"call": "nope"}, ws.CodeNotFound},
		{"call.pickup", map[string]string{}, ws.CodeInvalidParams},
		{"call.pickup", map[string]string{"slot": "700"}, ws.CodeNotFound},
	} {
		err := c.Call(t.Context(), tc.method, tc.params, nil)
		if err == nil || code(t, err) != tc.code {
			t.Errorf("%s %v = %v, want %d", tc.method, tc.params, err, tc.code)
		}
	}
	var st agent.LoginResult
	c.MustCall("state", nil, &st)
	if st.Parked == nil || len(st.Parked) != 0 {
		t.Errorf("state parked = %v, want []", st.Parked)
	}
}
