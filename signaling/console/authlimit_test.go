package console_test

import (
	"strings"
	"testing"

	"switchboard/signaling/ws"
	"switchboard/signaling/ws/wstest"
)

// Admin auth failures are limited to 10 a minute per source address (the
// old console answered 6,323 guesses/s); then even the right token is
// refused unchecked from that address, while another address authenticates.
func TestAdminAuthLimit(t *testing.T) {
	e := newEnv(t, nil)
	auth := func(from, tok string) *ws.Error {
		t.Helper()
		c, err := wstest.DialFrom(t, e.url(), nil, from)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return wstest.RPCError(c.Call(t.Context(), "auth", map[string]string{"token": tok}, nil))
	}
	for i := range 10 {
		if err := auth("127.0.0.3", "guess"); err == nil || err.Reason != "token: wrong token" {
			t.Fatalf("guess %d = %v, want wrong token", i+1, err)
		}
	}
	for _, tok := range []string{"guess", token} {
		if err := auth("127.0.0.3", tok); err == nil || err.Code != ws.CodeUnauthorized || !strings.Contains(err.Reason, "too many") {
			t.Fatalf("11th attempt (%s) = %v, want -32001 too many", tok, err)
		}
	}
	if s := e.console.AuthStats(); s.Checks != 10 || s.Limited != 2 {
		t.Errorf("AuthStats = %+v, want 10 checks and 2 limited", s)
	}
	if err := auth("127.0.0.4", token); err != nil {
		t.Fatalf("right token from another address = %v", err)
	}
	for range 20 { // successes cost nothing
		if err := auth("127.0.0.4", token); err != nil {
			t.Fatalf("repeated good auth = %v", err)
		}
	}
}
