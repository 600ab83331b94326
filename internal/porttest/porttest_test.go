package porttest

import (
	"net"
	"strconv"
	"testing"
)

// TestFree: the ports returned can be bound again at once, FreeBoth's for
// UDP and TCP.
func TestFree(t *testing.T) {
	for _, network := range []string{"udp", "tcp"} {
		p := Free(t, network)
		if p == 0 {
			t.Fatalf("Free(%s) = 0", network)
		}
		bind(t, network, p)
	}
	p := FreeBoth(t)
	bind(t, "udp", p)
	bind(t, "tcp", p)
}

func bind(t *testing.T, network string, port int) {
	t.Helper()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	if network == "udp" {
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			t.Fatalf("udp port %d not free: %v", port, err)
		}
		c.Close()
		return
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("tcp port %d not free: %v", port, err)
	}
	l.Close()
}
