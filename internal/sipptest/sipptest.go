// Package sipptest is what the tests that run SIPp (Debian's sip-tester) as
// a child process share: finding the binary, running it on loopback ports
// of its own (Start, Exec), and knowing when it holds its port without
// binding a probe socket that could steal the port from it.
package sipptest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Bin is the path of sipp; it skips t when sipp is not on PATH.
func Bin(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("sipp")
	if err != nil {
		t.Skip("sipp not on PATH: install the Debian package sip-tester to run the SIPp tests")
	}
	return p
}

// UDPBound reports whether some socket holds UDP port on 127.0.0.1 or the
// wildcard address, from /proc/net/udp: read, not bound, so a probe never
// takes the port from the process being waited for.
func UDPBound(port int) bool {
	b, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		return false
	}
	suffix := fmt.Sprintf(":%04X", port)
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) > 1 && strings.HasSuffix(f[1], suffix) && (strings.HasPrefix(f[1], "0100007F") || strings.HasPrefix(f[1], "00000000")) {
			return true
		}
	}
	return false
}
