package trunktest

import (
	"context"
	"crypto/tls"
	"net"
	"testing"
)

// NewTLSPhone starts a phone that calls over SIP over TLS (RFC 3261 §26),
// trusting the servers client trusts (its RootCAs). It listens for nothing:
// the gateway's in-dialog requests come back on the phone's connection.
func NewTLSPhone(t testing.TB, client *tls.Config) *Phone {
	t.Helper()
	return newPhone(t, "tls", client, nil)
}

// listenTLS reserves the phone's port (a TCP port the Contact names) and
// returns it; requests reach the phone on its own TLS connection.
func listenTLS(t testing.TB, p *Phone, ctx context.Context) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("trunktest: listen: %v", err)
	}
	p.wg.Go(func() { <-ctx.Done(); l.Close() })
	return l.Addr().(*net.TCPAddr).Port
}
