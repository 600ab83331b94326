package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"switchboard/certs/certstest"
	"switchboard/internal/porttest"
	"switchboard/internal/proctest"
)

// acmeDomain is the name the gateway gets a certificate for from Pebble.
const acmeDomain = "agents.switchboard.test"

// pebble is a Pebble ACME test CA child process on loopback.
type pebble struct {
	Dir      string // https://127.0.0.1:port/dir
	RootsPEM string // file trusted for Pebble's own HTTPS (-acme-ca-roots)
	mgmt     string // https://127.0.0.1:port (management: /roots/0)
	client   *http.Client
	*proctest.Child
}

// startPebble runs Pebble with PEBBLE_VA_ALWAYS_VALID=1 (no challenge is
// checked: nothing resolves on loopback), its HTTPS served with a
// certificate of a test CA.
func startPebble(t *testing.T) *pebble {
	t.Helper()
	return startPebbleWith(t, pebbleOptions{AlwaysValid: true})
}

// pebbleOptions: the ports Pebble validates challenges on and its DNS
// server; zero values pick free ports (nothing listens there) and, with
// AlwaysValid, no validation at all.
type pebbleOptions struct {
	Port        int    // directory port; 0 = a free one
	HTTPPort    int    // where HTTP-01 is checked
	TLSPort     int    // where TLS-ALPN-01 is checked
	DNS         string // -dnsserver (pebble-challtestsrv), "" = none
	AlwaysValid bool   // PEBBLE_VA_ALWAYS_VALID=1
	// CA signs Pebble's own HTTPS certificate and RootsPEM is where its PEM
	// is written (the gateway's -acme-ca-roots); nil/"" = made here.
	CA       *certstest.CA
	RootsPEM string
}

func startPebbleWith(t *testing.T, o pebbleOptions) *pebble {
	t.Helper()
	bin, err := exec.LookPath("pebble")
	if err != nil {
		t.Skip("pebble not on PATH: install the Debian package pebble to run the ACME test")
	}
	dir := t.TempDir()
	ca := o.CA
	if ca == nil {
		ca = certstest.NewCA(t)
	}
	if o.RootsPEM == "" {
		o.RootsPEM = filepath.Join(dir, "ca.pem")
	}
	leaf := ca.Issue(dir, 1)
	p := &pebble{RootsPEM: o.RootsPEM, client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: ca.ClientConfig()}}}
	if err := os.WriteFile(p.RootsPEM, ca.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	port, mgmt := o.Port, porttest.Free(t, "tcp")
	if port == 0 {
		port = porttest.Free(t, "tcp")
	}
	if o.HTTPPort == 0 {
		o.HTTPPort = porttest.Free(t, "tcp")
	}
	if o.TLSPort == 0 {
		o.TLSPort = porttest.Free(t, "tcp")
	}
	p.Dir = fmt.Sprintf("https://127.0.0.1:%d/dir", port)
	p.mgmt = fmt.Sprintf("https://127.0.0.1:%d", mgmt)
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress": fmt.Sprintf("127.0.0.1:%d", port), "managementListenAddress": fmt.Sprintf("127.0.0.1:%d", mgmt),
		"certificate": leaf.CertFile, "privateKey": leaf.KeyFile,
		"httpPort": o.HTTPPort, "tlsPort": o.TLSPort, "ocspResponderURL": "", "externalAccountBindingRequired": false,
	}}
	b, _ := json.Marshal(cfg)
	cfgFile := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(cfgFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	pargs := []string{"-config", cfgFile}
	if o.DNS != "" {
		pargs = append(pargs, "-dnsserver", o.DNS)
	}
	cmd := exec.Command(bin, pargs...)
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0")
	if o.AlwaysValid {
		cmd.Env = append(cmd.Env, "PEBBLE_VA_ALWAYS_VALID=1")
	}
	p.Child = proctest.Start(t, "pebble", cmd, os.Kill, 0)
	waitFor(t, 15*time.Second, "pebble directory", func() bool {
		res, err := p.client.Get(p.Dir)
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	})
	return p
}

// roots returns a pool with Pebble's issuing root (made fresh per run).
func (p *pebble) roots(t *testing.T) *x509.CertPool {
	t.Helper()
	res, err := p.client.Get(p.mgmt + "/roots/0")
	if err != nil {
		t.Fatalf("pebble roots: %v", err)
	}
	defer res.Body.Close()
	pemBytes, _ := io.ReadAll(res.Body)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("pebble /roots/0 gave no certificate: %q", pemBytes)
	}
	return pool
}

// handshake connects to addr with SNI acmeDomain, verifying against roots,
// and returns the leaf's serial (hex).
func handshake(t *testing.T, addr string, roots *x509.CertPool) (string, error) {
	t.Helper()
	d := &net.Dialer{Timeout: 30 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{ServerName: acmeDomain, RootCAs: roots, MinVersion: tls.VersionTLS12})
	if err != nil {
		return "", err
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.Text(16), nil
}

// TestACMEPebble: with -acme-domains the gateway gets its certificate from
// Pebble (ACME, RFC 8555) on the first handshake, serves it on HTTPS and
// SIP over TLS, keeps it under -data, and after a restart serves the same
// certificate from there with Pebble gone.
func TestACMEPebble(t *testing.T) {
	pb := startPebble(t)
	data := t.TempDir()
	httpsPort, sipTLS := porttest.Free(t, "tcp"), porttest.Free(t, "tcp")
	args := []string{"-acme-domains", acmeDomain, "-acme-ca", pb.Dir, "-acme-ca-roots", pb.RootsPEM, "-acme-email", "ops@switchboard.test",
		"-https-addr", fmt.Sprintf("127.0.0.1:%d", httpsPort), "-sip-tls-addr", fmt.Sprintf("127.0.0.1:%d", sipTLS)}
	args = append(args, "-data", data) // the last -data wins: both runs share it
	g := startGateway(t, args...)
	roots := pb.roots(t)
	httpsAddr := fmt.Sprintf("127.0.0.1:%d", httpsPort)
	serial, err := handshake(t, httpsAddr, roots)
	if err != nil {
		t.Fatalf("HTTPS handshake with an ACME certificate: %v", err)
	}
	// The page itself over the ACME certificate.
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{ServerName: acmeDomain, RootCAs: roots},
	}}
	res, err := hc.Get("https://" + httpsAddr + "/")
	if err != nil {
		t.Fatalf("GET / over the ACME certificate: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("GET / = %d, want 200", res.StatusCode)
	}
	waitFor(t, 5*time.Second, "log line acme certificate in use", func() bool {
		return g.Logged(`"acme certificate in use"`, `"serial":"`+serial+`"`)
	})
	if s, err := handshake(t, fmt.Sprintf("127.0.0.1:%d", sipTLS), roots); err != nil || s != serial {
		t.Errorf("SIP over TLS handshake = serial %s, %v; want the ACME certificate %s", s, err, serial)
	}
	// A SIP peer that sends no SNI gets the first domain's certificate.
	noSNI := &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12, VerifyConnection: func(cs tls.ConnectionState) error {
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{DNSName: acmeDomain, Roots: roots, Intermediates: inter})
		return err
	}}
	if c, err := tls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", sipTLS), noSNI); err != nil {
		t.Errorf("SIP over TLS handshake without SNI: %v", err)
	} else {
		c.Close()
	}
	cached, _ := filepath.Glob(filepath.Join(data, "acme", "*"))
	if !contains(cached, acmeDomain) {
		t.Errorf("-data/acme holds %v, want the certificate of %s", cached, acmeDomain)
	}

	// Restart without the CA: the cached certificate is served.
	g.stopNow(t)
	pb.Stop()
	startGateway(t, args...)
	s2, err := handshake(t, httpsAddr, roots)
	if err != nil {
		t.Fatalf("HTTPS handshake after restart (Pebble stopped): %v", err)
	}
	if s2 != serial {
		t.Errorf("after restart serial %s, want the cached %s", s2, serial)
	}
}

func contains(paths []string, part string) bool {
	for _, p := range paths {
		if strings.Contains(filepath.Base(p), part) {
			return true
		}
	}
	return false
}

// stopNow ends the gateway with SIGINT and waits for it to exit.
func (g *gateway) stopNow(t *testing.T) {
	t.Helper()
	_ = g.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-g.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("gateway did not exit after SIGINT")
	}
}
