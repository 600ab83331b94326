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

	"switchboard/internal/sipptest"
	"switchboard/signaling/trunk"
)

// TestSIPpDTMFInProcess plays SIPp's RFC 2833 pcap to an in-process trunk
// running Echo and checks the digits reach Call.OnDTMF.
func TestSIPpDTMFInProcess(t *testing.T) {
	sipp := sipptest.Bin(t)
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

// freeUDPPort returns a UDP port on 127.0.0.1 that was free a moment ago.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	l, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.LocalAddr().(*net.UDPAddr).Port
}

// TestSIPpDialEcho dials `sipp -sn uas -rtp_echo` through the trunk and
// checks the gateway's tone comes back.
func TestSIPpDialEcho(t *testing.T) {
	sipp := sipptest.Bin(t)
	port, mport := freeUDPPort(t), freeUDPPort(t)
	for mport == port || mport == port+2 || mport+2 == port {
		mport = freeUDPPort(t)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, sipp, "-sn", "uas", "-rtp_echo", "-i", "127.0.0.1", "-mi", "127.0.0.1",
		"-p", strconv.Itoa(port), "-mp", strconv.Itoa(mport), "-m", "1", "-nostdin", "-timeout", "60", "-timeout_error")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Dir = t.TempDir()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// SIPp is ready once it holds its SIP port.
	waitFor(t, "sipp to bind its port", 10*time.Second, func() bool {
		select {
		case err := <-exited:
			t.Fatalf("sipp exited early: %v\n%s", err, out.String())
		default:
		}
		return sipptest.UDPBound(port) // read, not bound: a probe bind could steal the port from sipp
	})
	tr, pool := dialTrunk(t, "sip:127.0.0.1:"+strconv.Itoa(port)+";transport=udp", "", "", 0)
	leg := openLeg(t, pool)
	audio := newLegAudio(t, leg, 440)
	start := time.Now()
	c, err := tr.Dial(ctx, "5551234", "", leg, nil)
	if err != nil {
		t.Fatalf("Dial sipp: %v\n%s", err, out.String())
	}
	t.Logf("INVITE to answered in %v", time.Since(start))
	waitFor(t, "the 440 Hz tone echoed by sipp", 5*time.Second, func() bool { return audio.heard(440) })
	if err := c.Hangup("done"); err != nil {
		t.Errorf("Hangup: %v", err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("sipp uas: %v\n%s", err, out.String())
		}
	case <-ctx.Done():
		t.Fatalf("sipp did not finish\n%s", out.String())
	}
}
