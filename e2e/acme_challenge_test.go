package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"switchboard/certs/certstest"
	"switchboard/internal/porttest"
)

// startChallTestSrv runs pebble-challtestsrv as Pebble's DNS server only:
// every A query answers 127.0.0.1 (no AAAA), so Pebble validates the
// challenges against the gateway on loopback.
func startChallTestSrv(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("pebble-challtestsrv")
	if err != nil {
		t.Skip("pebble-challtestsrv not on PATH (Debian package pebble)")
	}
	dns := fmt.Sprintf("127.0.0.1:%d", porttest.Free(t, "udp"))
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-dns01", dns, "-http01", "", "-https01", "", "-tlsalpn01", "",
		"-management", fmt.Sprintf("127.0.0.1:%d", porttest.Free(t, "tcp")), "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pebble-challtestsrv: %v", err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	return dns
}

// TestACMEChallenges: Pebble really validates (no PEBBLE_VA_ALWAYS_VALID):
// TLS-ALPN-01 against -https-addr, and, with TLS-ALPN-01 made impossible
// (Pebble checks it on a port where nothing listens), HTTP-01 against
// -http-addr. Either way the gateway gets and serves a certificate.
func TestACMEChallenges(t *testing.T) {
	dns := startChallTestSrv(t)
	for _, challenge := range []string{"tls-alpn-01", "http-01"} {
		t.Run(challenge, func(t *testing.T) {
			ca := certstest.NewCA(t)
			rootsFile := filepath.Join(t.TempDir(), "pebble-ca.pem")
			if err := os.WriteFile(rootsFile, ca.PEM, 0o600); err != nil {
				t.Fatal(err)
			}
			pebblePort, httpsPort := porttest.Free(t, "tcp"), porttest.Free(t, "tcp")
			// The gateway first (Pebble must know its ports); nothing asks
			// the CA before the first handshake.
			g := startGateway(t, "-acme-domains", acmeDomain, "-acme-ca", fmt.Sprintf("https://127.0.0.1:%d/dir", pebblePort),
				"-acme-ca-roots", rootsFile, "-https-addr", fmt.Sprintf("127.0.0.1:%d", httpsPort),
				"-sip-tls-addr", fmt.Sprintf("127.0.0.1:%d", porttest.Free(t, "tcp")))
			u, _ := url.Parse(g.HTTP)
			httpPort, _ := strconv.Atoi(u.Port())
			o := pebbleOptions{Port: pebblePort, HTTPPort: httpPort, TLSPort: httpsPort, DNS: dns, CA: ca, RootsPEM: rootsFile}
			if challenge == "http-01" {
				o.TLSPort = porttest.Free(t, "tcp") // nothing listens: TLS-ALPN-01 fails, autocert falls back
			}
			pb := startPebbleWith(t, o)
			if _, err := handshake(t, fmt.Sprintf("127.0.0.1:%d", httpsPort), pb.roots(t)); err != nil {
				t.Fatalf("HTTPS handshake (certificate by %s): %v", challenge, err)
			}
			// Pebble logs how it validated: an HTTP-01 attempt only when it
			// had to fall back to it.
			if tried := pb.Logged("Attempting to validate w/ HTTP"); tried != (challenge == "http-01") {
				t.Errorf("pebble tried HTTP-01: %v, want %v", tried, challenge == "http-01")
			}
		})
	}
}
