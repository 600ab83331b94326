package web

import (
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"switchboard/certs/certstest"
)

func TestTLSPlainListener(t *testing.T) {
	ca := certstest.NewCA(t)
	leaf := ca.Issue(t.TempDir(), 5)
	cfg := ca.ClientConfig()
	wrapped := false
	s := New(Config{Addr: "127.0.0.1:0", TLSAddr: "127.0.0.1:0",
		TLS:    &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return &leaf.TLS, nil }},
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil)),
		PlainWrap: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/.well-known/acme-challenge/tok" {
					wrapped = true
					io.WriteString(w, "tok.thumb")
					return
				}
				h.ServeHTTP(w, r)
			})
		}})
	s.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "metrics") }))
	s.Handle("GET /", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "page") }))
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.Run(t.Context()) })
	t.Cleanup(func() { s.Shutdown(); wg.Wait() })
	<-s.Ready()
	plain := s.Addr().String()
	tlsPort := strconv.Itoa(s.TLSAddr().(*net.TCPAddr).Port)

	noFollow := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		name, host, path string
		code             int
		location, body   string
	}{
		{"page redirects", "agents.example.com:8080", "/x?y=1", 308, "https://agents.example.com:" + tlsPort + "/x?y=1", ""},
		{"port 80 through a mapping goes to 443", "agents.example.com", "/", 308, "https://agents.example.com/", ""},
		{"ipv6 literal", "[2001:db8::1]:8080", "/", 308, "https://[2001:db8::1]:" + tlsPort + "/", ""},
		{"healthz stays", "agents.example.com:8080", "/healthz", 200, "", "ok"},
		{"metrics stays", "agents.example.com:8080", "/metrics", 200, "", "metrics"},
		{"acme challenge through PlainWrap", "agents.example.com", "/.well-known/acme-challenge/tok", 200, "", "tok.thumb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://"+plain+tt.path, nil)
			req.Host = tt.host
			res, err := noFollow.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.code || res.Header.Get("Location") != tt.location || (tt.body != "" && string(b) != tt.body) {
				t.Errorf("GET %s (Host %s) = %d %q %q, want %d %q %q", tt.path, tt.host, res.StatusCode, res.Header.Get("Location"), b, tt.code, tt.location, tt.body)
			}
		})
	}
	if !wrapped {
		t.Error("PlainWrap was not applied")
	}
	// The HTTPS listener serves the mux, over HTTP/1.1 only.
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true}}
	res, err := hc.Get("https://" + s.TLSAddr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != "page" || res.ProtoMajor != 1 || res.TLS.PeerCertificates[0].SerialNumber.Int64() != 5 {
		t.Errorf("GET / over TLS = %q %s serial %v, want page over HTTP/1.1 with serial 5", b, res.Proto, res.TLS.PeerCertificates[0].SerialNumber)
	}
}
