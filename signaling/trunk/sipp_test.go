package trunk_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/signaling/trunk"
)

// TestSIPpDTMFInProcess plays SIPp's RFC 2833 pcap to an in-process trunk
// running Echo and checks the digits reach Call.OnDTMF.
func TestSIPpDTMFInProcess(t *testing.T) {
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		t.Skip("sipp not on PATH: install the Debian package sip-tester to run the SIPp tests")
	}
	var mu sync.Mutex
	var digits strings.Builder
	tr := startTrunk(t, trunk.HandlerFunc(func(ctx context.Context, c *trunk.Call) {
		c.OnDTMF(func(d rune) { mu.Lock(); digits.WriteRune(d); mu.Unlock() })
		trunk.Echo(ctx, c)
	}))
	dir := t.TempDir()
	if err := os.Symlink("/usr/share/sip-tester", filepath.Join(dir, "pcap")); err != nil {
		t.Fatal(err)
	}
	l, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.LocalAddr().(*net.UDPAddr).Port
	l.Close()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, sipp, "-sn", "uac_pcap", "-s", "echo", "-i", "127.0.0.1", "-mi", "127.0.0.1",
		"-p", strconv.Itoa(port), "-m", "1", "-nostdin", "-timeout", "60", "-timeout_error", tr.Addr().String())
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sipp uac_pcap: %v\n%s", err, out)
	}
	mu.Lock()
	got := digits.String()
	mu.Unlock()
	if got == "" {
		t.Fatal("no DTMF digit received from the RFC 2833 pcap")
	}
	t.Logf("digits received: %q", got)
}
