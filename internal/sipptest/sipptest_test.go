package sipptest

import (
	"net"
	"testing"
)

// TestUDPBound: a port is bound while a socket holds it, and no longer
// once it is closed.
func TestUDPBound(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "0.0.0.0:0"} {
		l, err := net.ListenPacket("udp4", addr)
		if err != nil {
			t.Fatal(err)
		}
		port := l.LocalAddr().(*net.UDPAddr).Port
		if !UDPBound(port) {
			t.Errorf("%s: UDPBound(%d) = false while bound", addr, port)
		}
		l.Close()
		if UDPBound(port) {
			t.Errorf("%s: UDPBound(%d) = true after Close", addr, port)
		}
	}
}
