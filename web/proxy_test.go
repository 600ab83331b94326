package web

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestRealClient(t *testing.T) {
	s := &Server{cfg: Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}}}
	tests := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"trusted proxy names the client", "127.0.0.1:5000", []string{"198.51.100.9"}, "198.51.100.9:0"},
		{"rightmost untrusted wins over a forged left part", "127.0.0.1:5000", []string{"6.6.6.6, 198.51.100.9"}, "198.51.100.9:0"},
		{"chain of trusted proxies is skipped", "127.0.0.1:5000", []string{"198.51.100.9, 10.1.2.3"}, "198.51.100.9:0"},
		{"several header lines", "127.0.0.1:5000", []string{"198.51.100.9", "10.1.2.3"}, "198.51.100.9:0"},
		{"ipv6 client with port", "127.0.0.1:5000", []string{"[2001:db8::5]:4431"}, "[2001:db8::5]:0"},
		{"untrusted peer: header ignored", "203.0.113.1:5000", []string{"198.51.100.9"}, "203.0.113.1:5000"},
		{"no header", "127.0.0.1:5000", nil, "127.0.0.1:5000"},
		{"garbage keeps the proxy", "127.0.0.1:5000", []string{"198.51.100.9, not-an-ip"}, "127.0.0.1:5000"},
		{"only trusted hops", "127.0.0.1:5000", []string{"10.0.0.1"}, "127.0.0.1:5000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			h := s.realClient(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = r.RemoteAddr }))
			r := httptest.NewRequest("GET", "/ws/agent", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if got != tt.want {
				t.Errorf("RemoteAddr = %q, want %q", got, tt.want)
			}
		})
	}
	// Without trusted proxies the handler is not wrapped at all.
	plain := &Server{}
	var got string
	plain.realClient(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = r.RemoteAddr })).ServeHTTP(httptest.NewRecorder(),
		func() *http.Request {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = "127.0.0.1:1"
			r.Header.Set("X-Forwarded-For", "198.51.100.9")
			return r
		}())
	if got != "127.0.0.1:1" {
		t.Errorf("without TrustedProxies RemoteAddr = %q, want the peer", got)
	}
}
