package ws_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"switchboard/signaling/ws"
)

// TestOriginCheck: the POST probe answers as the upgrade's origin check
// would: 204 for the page's own origin, an allowed one and none; 403 with
// a reason for another.
func TestOriginCheck(t *testing.T) {
	s := newServer(t, ws.Config{AllowedOrigins: []string{"https://ops.example.com"}}, "")
	probe := httptest.NewServer(s.h.OriginCheck())
	t.Cleanup(probe.Close)
	host := strings.TrimPrefix(probe.URL, "http://")
	for _, tc := range []struct {
		origin string
		code   int
	}{
		{"", 204},
		{"http://" + host, 204},
		{"https://ops.example.com", 204},
		{"https://evil.example.com", 403},
		{"null", 403},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", probe.URL+"/ws/agent", nil)
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("Origin %q: %d, want %d", tc.origin, resp.StatusCode, tc.code)
		}
		if tc.code == 403 && (body["reason"] != "origin not allowed" || body["origin"] != tc.origin) {
			t.Errorf("Origin %q: body %v", tc.origin, body)
		}
	}
}
