// Package porttest picks loopback ports for the child processes that tests
// start (the gateway binary, SIPp): the child binds a port that was free a
// moment ago. Another socket may take it in between; a test that must not
// flake on that retries the start (e2e's startGateway does).
package porttest

import (
	"net"
	"strconv"
	"testing"
)

// Free returns a port on 127.0.0.1 that was free for network ("udp" or
// "tcp") a moment ago.
func Free(t testing.TB, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// FreeBoth returns a port on 127.0.0.1 that was free for both UDP and TCP
// a moment ago: a SIP port, which listens on both.
func FreeBoth(t testing.TB) int {
	t.Helper()
	for range 50 {
		p := Free(t, "udp")
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p)); err == nil {
			l.Close()
			return p
		}
	}
	t.Fatal("no port free for both UDP and TCP")
	return 0
}
