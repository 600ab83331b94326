package main

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/signaling/ws/wstest"
)

func getStatus(t *testing.T, url, bearer string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	res.Body.Close()
	return res.StatusCode
}

// /metrics needs the admin token unless -metrics-public (it was public).
func TestBinaryMetricsNeedToken(t *testing.T) {
	g := startGateway(t, 38000, "-admin-token", "tok-e2e")
	url := "http://" + g.httpAddr + "/metrics"
	if c := getStatus(t, url, ""); c != http.StatusUnauthorized {
		t.Errorf("GET /metrics without token = %d, want 401", c)
	}
	if c := getStatus(t, url, "wrong"); c != http.StatusUnauthorized {
		t.Errorf("GET /metrics with a wrong token = %d, want 401", c)
	}
	if c := getStatus(t, url, "tok-e2e"); c != http.StatusOK {
		t.Errorf("GET /metrics with the admin token = %d, want 200", c)
	}
	// Wrong tokens spend the address's admin-auth budget (10 a minute, shared
	// with /ws/admin auth): then even the right token gets 429.
	for range 9 {
		getStatus(t, url, "wrong")
	}
	if c := getStatus(t, url, "tok-e2e"); c != http.StatusTooManyRequests {
		t.Errorf("GET /metrics after 10 wrong tokens = %d, want 429", c)
	}
	pub := startGateway(t, 40000, "-metrics-public")
	if c := getStatus(t, "http://"+pub.httpAddr+"/metrics", ""); c != http.StatusOK {
		t.Errorf("GET /metrics with -metrics-public = %d, want 200", c)
	}
}

// -allowed-origins adds to the page's own origin (it used to replace it,
// locking both pages out).
func TestBinaryAllowedOriginsAddToSameOrigin(t *testing.T) {
	g := startGateway(t, 42000, "-allowed-origins", "https://ops.example.com")
	for _, path := range []string{"/ws/agent", "/ws/admin"} {
		url := "ws://" + g.httpAddr + path
		for _, origin := range []string{"http://" + g.httpAddr, "https://ops.example.com"} {
			c, err := wstest.DialErr(t, url, http.Header{"Origin": {origin}})
			if err != nil {
				t.Errorf("%s with Origin %s: %v, want allowed", path, origin, err)
				continue
			}
			c.Close()
		}
		if _, err := wstest.DialErr(t, url, http.Header{"Origin": {"https://evil.example"}}); err == nil {
			t.Errorf("%s with a foreign Origin allowed", path)
		}
	}
}

// -ws-login-timeout and -max-ws-unauth against the binary: idle sockets
// are closed at the deadline and only so many may wait at once, shared by
// both websockets (the old gateway held 5,000 with no deadline).
func TestBinaryWebsocketBudgets(t *testing.T) {
	g := startGateway(t, 44000, "-ws-login-timeout", "500ms", "-max-ws-unauth", "20")
	var held []*wstest.Client
	refused := 0
	for i := range 30 {
		path := []string{"/ws/agent", "/ws/admin"}[i%2]
		from := "127.0.3." + strconv.Itoa(1+i/10) // 10 per address: under the 16 per source
		c, err := wstest.DialFrom(t, "ws://"+g.httpAddr+path, nil, from)
		if err != nil {
			if !strings.Contains(err.Error(), "HTTP 503") {
				t.Fatalf("dial %d: %v, want HTTP 503 when refused", i, err)
			}
			refused++
			continue
		}
		held = append(held, c)
	}
	if len(held) != 20 || refused != 10 {
		t.Errorf("%d held, %d refused of 30 idle sockets; want 20 and 10 (-max-ws-unauth 20)", len(held), refused)
	}
	for i, c := range held {
		select {
		case <-c.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("idle socket %d still open 10 s after a 500 ms -ws-login-timeout", i)
		}
	}
	// The budget is back: a new socket is admitted.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := wstest.DialErr(t, "ws://"+g.httpAddr+"/ws/agent", nil)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the idle sockets closed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
