package sipptest

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"switchboard/internal/porttest"
	"switchboard/internal/waittest"
)

// limit bounds every SIPp child: past it the process is killed, whatever
// the test waits for.
const limit = 3 * time.Minute

// Run is SIPp running as a child process on 127.0.0.1, started by Start.
type Run struct {
	Port      int    // SIPp's SIP port (-p), free for UDP and TCP when chosen
	MediaPort int    // SIPp's media port (-mp); SIPp also binds MediaPort+2
	Dir       string // SIPp's working directory: its -trace_* logs

	mu     sync.Mutex
	out    bytes.Buffer // stdout and stderr
	done   chan struct{}
	err    error // cmd.Wait's, set before done is closed
	cancel context.CancelFunc
}

// Write appends SIPp's output.
func (r *Run) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.Write(p)
}

// Start runs sipp in dir (a fresh temporary directory when dir is "") with
// the loopback arguments every test uses (-i and -mi 127.0.0.1, own -p and
// -mp ports, -nostdin, -timeout 60 -timeout_error) followed by args, which
// may override them (a later -timeout wins). It skips t when sipp is
// missing. The end of t kills SIPp if it still runs, and logs its output
// and logs when t failed.
func Start(t testing.TB, dir string, args ...string) *Run {
	t.Helper()
	bin := Bin(t)
	if dir == "" {
		dir = t.TempDir()
	}
	r := &Run{Port: porttest.FreeBoth(t), Dir: dir, done: make(chan struct{})}
	r.MediaPort = mediaPort(t, r.Port)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	r.cancel = cancel
	base := []string{"-i", "127.0.0.1", "-mi", "127.0.0.1", "-p", strconv.Itoa(r.Port), "-mp", strconv.Itoa(r.MediaPort),
		"-nostdin", "-timeout", "60", "-timeout_error"}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = r, r
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		defer close(r.done)
		defer cancel()
		r.err = cmd.Wait()
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
		if t.Failed() {
			t.Logf("sipp %q: %v\n%s", args, r.err, r.Tail())
		}
	})
	return r
}

// Exec runs sipp as Start does and waits up to timeout for it to end; it
// fails t when SIPp failed (a call failed or an expected message did not
// come) or still runs.
func Exec(t testing.TB, dir string, timeout time.Duration, args ...string) *Run {
	t.Helper()
	r := Start(t, dir, args...)
	r.Wait(t, timeout)
	return r
}

// Wait waits up to timeout for SIPp to end, and fails t when it failed or
// still runs (then it is killed).
func (r *Run) Wait(t testing.TB, timeout time.Duration) {
	t.Helper()
	tm := time.NewTimer(timeout)
	defer tm.Stop()
	select {
	case <-r.done:
	case <-tm.C:
		r.cancel()
		<-r.done
		t.Fatalf("sipp still running after %v\n%s", timeout, r.Tail())
	}
	if r.err != nil {
		t.Fatalf("sipp: %v\n%s", r.err, r.Tail())
	}
}

// WaitBound waits until SIPp holds its SIP port (a uas is then ready for
// calls); it fails t if SIPp exits first or takes longer than timeout.
func (r *Run) WaitBound(t testing.TB, timeout time.Duration) {
	t.Helper()
	waittest.For(t, "sipp to bind its port", timeout, func() bool {
		select {
		case <-r.done:
			t.Fatalf("sipp exited early: %v\n%s", r.err, r.Tail())
		default:
		}
		return UDPBound(r.Port) // read, not bound: a probe bind could steal the port from sipp
	})
}

// Tail is the end of SIPp's output and of the logs in its directory.
func (r *Run) Tail() string {
	r.mu.Lock()
	out := r.out.String()
	r.mu.Unlock()
	logs, _ := filepath.Glob(filepath.Join(r.Dir, "*.log"))
	for _, l := range logs {
		b, _ := os.ReadFile(l) // gone or unreadable: its name alone is shown
		out += "\n--- " + filepath.Base(l) + "\n" + string(b)
	}
	if len(out) > 6000 {
		out = out[len(out)-6000:]
	}
	return out
}

// PcapDir returns a fresh directory whose pcap/ is Debian's SIPp pcap files
// (/usr/share/sip-tester), for the uac_pcap scenario's RFC 2833 digit.
func PcapDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink("/usr/share/sip-tester", filepath.Join(dir, "pcap")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// mediaPort returns a UDP port p on 127.0.0.1 that, like p+2 (SIPp's
// video RTP socket), was free a moment ago and is neither sip nor sip±2.
func mediaPort(t testing.TB, sip int) int {
	t.Helper()
	for range 50 {
		p := porttest.Free(t, "udp")
		if p == sip || p == sip+2 || p+2 == sip {
			continue
		}
		if c, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(p+2)); err == nil {
			c.Close()
			return p
		}
	}
	t.Fatal("no free pair of UDP ports p, p+2 for SIPp's media")
	return 0
}
