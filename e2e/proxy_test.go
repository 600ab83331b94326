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
	"testing"
	"time"

	"switchboard/certs/certstest"
	"switchboard/internal/porttest"
	"switchboard/internal/repotest"
)

// fromDocs returns the ```lang block of docs/DEPLOY.md, so the tests run
// exactly what the guide tells people to run.
func fromDocs(t *testing.T, lang string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repotest.Root(t), "docs", "DEPLOY.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```" + lang + "\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatalf("docs/DEPLOY.md has no ```%s block", lang)
	}
	return string(m[1])
}

// substitute applies repl to conf, failing t if an old string is gone
// from the documented configuration.
func substitute(t *testing.T, conf string, repl map[string]string) string {
	t.Helper()
	for old, s := range repl {
		if !strings.Contains(conf, old) {
			t.Fatalf("the documented configuration no longer contains %q", old)
		}
		conf = strings.ReplaceAll(conf, old, s)
	}
	return conf
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
	port := porttest.Free(t, "tcp")
	conf := substitute(t, fromDocs(t, "nginx"), map[string]string{
		"listen 443 ssl;": fmt.Sprintf("listen 127.0.0.1:%d ssl;", port),
		"/etc/letsencrypt/live/agents.example.com/fullchain.pem": leaf.CertFile,
		"/etc/letsencrypt/live/agents.example.com/privkey.pem":   leaf.KeyFile,
		"http://127.0.0.1:8080":                                  strings.TrimSuffix(g.HTTP, "/"),
	})
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
	startProxy(t, cmd, cancel)
	throughProxy(t, g, ca, port, 77)
}

// throughProxy checks a TLS reverse proxy on 127.0.0.1:port serving the
// certificate with serial: the page and both websockets through it, and an
// agent logged in through it takes a queue call both ways (its media goes
// to the gateway directly).
func throughProxy(t *testing.T, g *gateway, ca *certstest.CA, port int, serial int64) {
	t.Helper()
	tg := &tlsGateway{gateway: g, HTTPS: fmt.Sprintf("https://127.0.0.1:%d", port), CA: ca, clientTLS: ca.ClientConfig()}
	waitFor(t, 10*time.Second, "proxy serving", func() bool {
		c, err := tlsDial(fmt.Sprintf("127.0.0.1:%d", port), tg.clientTLS)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	code, _, body, got := tg.get(t, tg.HTTPS+"/")
	if code != 200 || !strings.Contains(strings.ToLower(body), "<html") || got != serial {
		t.Fatalf("GET / through the proxy = %d (serial %d), want the page with the proxy's certificate %d", code, got, serial)
	}
	admin, _ := tg.wss(t, "/ws/admin")
	admin.MustCall("auth", map[string]string{"token": g.Token}, nil)

	a := &agentClient{ID: "a1", tne: toneAgent}
	a.WS, _ = tg.wss(t, "/ws/agent")
	a.WS.MustCall("login", map[string]string{"agent": "a1", "password": "pw-a1"}, nil)
	a.connect(t) // its browser leg sends toneAgent
	a.takesCall(t, g, "5000", "agent behind the proxy")
}

// TestCaddyReverseProxy: the Caddyfile of docs/DEPLOY.md (site address and
// certificate adapted to loopback) in front of the gateway.
func TestCaddyReverseProxy(t *testing.T) {
	bin, err := exec.LookPath("caddy")
	if err != nil {
		t.Skip("caddy not on PATH: install the Debian package caddy to run the Caddy test")
	}
	g := startGateway(t, "-trusted-proxies", "127.0.0.1")
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001", Queues: []string{"sales"}})
	dir := t.TempDir()
	ca := certstest.NewCA(t)
	leaf := ca.Issue(dir, 78)
	port := porttest.Free(t, "tcp")
	site := substitute(t, fromDocs(t, "caddyfile"), map[string]string{
		"agents.example.com {": fmt.Sprintf("127.0.0.1:%d {\n\tbind 127.0.0.1\n\ttls %s %s", port, leaf.CertFile, leaf.KeyFile),
		"127.0.0.1:8080":       strings.TrimPrefix(g.HTTP, "http://"),
	})
	// Global options: no admin endpoint, no redirect listener on :80, state in the test's dir.
	full := fmt.Sprintf("{\n\tadmin off\n\tauto_https disable_redirects\n\tskip_install_trust\n\tstorage file_system %s\n}\n%s", dir, site)
	cfgFile := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(cfgFile, []byte(full), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "run", "--config", cfgFile, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	startProxy(t, cmd, cancel)
	throughProxy(t, g, ca, port, 78)
}

// startProxy starts a reverse proxy's cmd, its output going to the test's
// log (shown when the test fails, or with -v), and stops it (cancel, the
// context of cmd) when the test ends.
func startProxy(t *testing.T, cmd *exec.Cmd, cancel context.CancelFunc) {
	t.Helper()
	cmd.Stdout = t.Output() // goroutine-safe; cmd.Wait returns once its copying is over
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
}

func tlsDial(addr string, cfg *tls.Config) (*tls.Conn, error) {
	return tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, cfg)
}
