package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/certs/certstest"
	"switchboard/internal/repotest"
	"switchboard/media"
	"switchboard/media/webrtcleg/webrtclegtest"
)

// nginxFromDocs returns the nginx example of docs/DEPLOY.md (the map and
// server blocks), so the test runs exactly what the guide tells people to
// run.
func nginxFromDocs(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repotest.Root(t), "docs", "DEPLOY.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```nginx\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("docs/DEPLOY.md has no ```nginx block")
	}
	return string(m[1])
}

// TestNginxReverseProxy: the nginx configuration of docs/DEPLOY.md in front
// of a gateway on loopback (-trusted-proxies 127.0.0.1): the page and both
// websockets work through it over TLS, and an agent logged in through it
// takes a queue call both ways (media goes to the gateway directly).
func TestNginxReverseProxy(t *testing.T) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("nginx not on PATH: install the Debian package nginx-light to run the reverse proxy test")
	}
	g := startGateway(t, "-trusted-proxies", "127.0.0.1")
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001", Queues: []string{"sales"}})

	dir := t.TempDir()
	ca := certstest.NewCA(t)
	leaf := ca.Issue(dir, 77, "agents.example.com")
	port := freePort(t, "tcp")
	conf := nginxFromDocs(t)
	for old, repl := range map[string]string{
		"listen 443 ssl;": fmt.Sprintf("listen 127.0.0.1:%d ssl;", port),
		"/etc/letsencrypt/live/agents.example.com/fullchain.pem": leaf.CertFile,
		"/etc/letsencrypt/live/agents.example.com/privkey.pem":   leaf.KeyFile,
		"http://127.0.0.1:8080":                                  strings.TrimSuffix(g.HTTP, "/"),
	} {
		if !strings.Contains(conf, old) {
			t.Fatalf("the nginx example no longer contains %q", old)
		}
		conf = strings.ReplaceAll(conf, old, repl)
	}
	full := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log stderr warn;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
%[2]s
}
`, dir, conf)
	cfgFile := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(cfgFile, []byte(full), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-p", dir, "-c", cfgFile)
	var out strings.Builder
	var outMu sync.Mutex
	cmd.Stdout = lockedWriter{&outMu, &out}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			outMu.Lock()
			t.Logf("nginx: %s", out.String())
			outMu.Unlock()
		}
	})
	tg := &tlsGateway{gateway: g, HTTPS: fmt.Sprintf("https://127.0.0.1:%d", port), CA: ca, clientTLS: ca.ClientConfig()}
	waitFor(t, 10*time.Second, "nginx serving", func() bool {
		c, err := tlsDial(fmt.Sprintf("127.0.0.1:%d", port), tg.clientTLS)
		if err == nil {
			c.Close()
		}
		return err == nil
	})

	code, _, body, serial := tg.get(t, tg.HTTPS+"/")
	if code != 200 || !strings.Contains(strings.ToLower(body), "<html") || serial != 77 {
		t.Fatalf("GET / through nginx = %d (serial %d), want the page with nginx's certificate", code, serial)
	}
	admin, _ := tg.wss(t, "/ws/admin")
	admin.MustCall("auth", map[string]string{"token": g.Token}, nil)

	// The agent: websocket through nginx, WebRTC straight to the gateway.
	a := &agentClient{ID: "a1", tne: toneAgent}
	a.WS, _ = tg.wss(t, "/ws/agent")
	a.WS.MustCall("login", map[string]string{"agent": "a1", "password": "pw-a1"}, nil)
	a.Br = webrtclegtest.NewBrowser(t, media.PCMU)
	var ans struct {
		SDP string `json:"sdp"`
	}
	a.WS.MustCall("webrtc.offer", map[string]string{"sdp": string(a.Br.Offer())}, &ans)
	a.Br.SetAnswer([]byte(ans.SDP))
	cctx, ccancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer ccancel()
	if err := a.Br.WaitConnected(cctx, 10*time.Second); err != nil {
		t.Fatalf("webrtc: %v", err)
	}
	a.Br.SendTone(toneAgent)
	a.WS.MustCall("activity.set", map[string]string{"activity": "available"}, nil)
	p := g.dialAsync(t, "5000", toneCaller1)
	a.accept(t)
	c := p.wait(t)
	hears(t, "caller", c.classify, toneAgent)
	hears(t, "agent behind nginx", a.Br.Classify, toneCaller1)
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func tlsDial(addr string, cfg *tls.Config) (*tls.Conn, error) {
	return tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, cfg)
}
