package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"switchboard/internal/porttest"
	"switchboard/internal/repotest"
)

// kamailioBin returns Debian's kamailio, or skips t.
func kamailioBin(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("kamailio"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/kamailio"); err == nil {
		return "/usr/sbin/kamailio"
	}
	t.Skip("kamailio not installed (Debian package kamailio): skipped")
	return ""
}

// Two nodes behind Kamailio with deploy/kamailio/kamailio.cfg: INVITEs are
// spread over both; once node 1 drains (SIGTERM with calls in progress:
// OPTIONS and INVITEs get 503) every new call is answered by node 2, none
// is lost, and the dispatcher's probe takes node 1 out of the set.
func TestBinaryKamailioDispatcher(t *testing.T) {
	bin := kamailioBin(t)
	n1 := startGateway(t, 56000)
	n2 := startGateway(t, 58000)
	dir := t.TempDir()
	list := filepath.Join(dir, "dispatcher.list")
	if err := os.WriteFile(list, fmt.Appendf(nil, "1 sip:127.0.0.1:%d 0 0\n1 sip:127.0.0.1:%d 0 0\n", n1.sipPort, n2.sipPort), 0o644); err != nil {
		t.Fatal(err)
	}
	kport := porttest.FreeBoth(t)
	k := exec.Command(bin, "-DD", "-E", "-f", filepath.Join(repotest.Root(t), "deploy", "kamailio", "kamailio.cfg"),
		"-A", fmt.Sprintf("LISTEN=udp:127.0.0.1:%d", kport), "-A", fmt.Sprintf("DISPATCHER_LIST=%q", list),
		"-A", "PING_INTERVAL=1", "-Y", dir, "-P", filepath.Join(dir, "kamailio.pid"))
	k.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := k.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var klog []string
	var wg sync.WaitGroup
	wg.Go(func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			klog = append(klog, sc.Text())
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		_ = syscall.Kill(-k.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = k.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-k.Process.Pid, syscall.SIGKILL)
			<-done
		}
		wg.Wait()
		if t.Failed() {
			mu.Lock()
			t.Logf("kamailio log:\n%s", strings.Join(klog, "\n"))
			mu.Unlock()
		}
	})
	proxy := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: kport}
	// call dials echo through Kamailio and returns the SIP port of the node
	// that answered (its Contact).
	seq := 0
	call := func() int {
		t.Helper()
		seq++
		c := dialEchoErr("127.0.0.1", proxy, fmt.Sprintf("kam-%d-%d", seq, time.Now().UnixNano()))
		if c == nil {
			return 0
		}
		t.Cleanup(func() { c.conn.Close(); c.rtpConn.Close() })
		contact := between2(c.ok, "\r\nContact: ", "\r\n")
		host := between2(contact, "@", ">")
		if host == "" {
			host = between2(contact, "sip:", ">")
		}
		_, port, _ := net.SplitHostPort(strings.Split(host, ";")[0])
		p, _ := strconv.Atoi(port)
		return p
	}
	deadline := time.Now().Add(10 * time.Second)
	got := map[int]int{}
	for len(got) < 2 || got[0] > 0 {
		if got[0] > 0 && time.Now().After(deadline) {
			t.Fatalf("calls through kamailio before the drain, by node SIP port: %v (0 = not answered)", got)
		}
		got = map[int]int{}
		for range 4 {
			got[call()]++
		}
		if time.Now().After(deadline) {
			t.Fatalf("calls not spread over both nodes: %v (node ports %d, %d)", got, n1.sipPort, n2.sipPort)
		}
	}
	t.Logf("before the drain, calls by node SIP port: %v", got)
	if got[n1.sipPort] == 0 || got[n2.sipPort] == 0 {
		t.Fatalf("calls %v, want both nodes %d and %d", got, n1.sipPort, n2.sipPort)
	}
	if err := n1.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for deadline = time.Now().Add(5 * time.Second); n1.count("sip draining") == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("node 1 not draining after SIGTERM")
		}
	}
	drained := time.Now()
	after := map[int]int{}
	for range 6 {
		after[call()]++
	}
	t.Logf("after node 1 drains, calls by node SIP port: %v", after)
	if after[n2.sipPort] != 6 {
		t.Errorf("calls after the drain %v, want all 6 on node 2 (%d)", after, n2.sipPort)
	}
	// The probe (every second) marks node 1 inactive: the dispatcher logs
	// no more "INVITE … to" node 1 without a retry.
	mu.Lock()
	var retried int
	for _, l := range klog {
		if strings.Contains(l, "retried on") {
			retried++
		}
	}
	mu.Unlock()
	t.Logf("%d of the calls after the drain were first sent to node 1 and retried on node 2 (probe interval 1 s; %v since the drain)", retried, time.Since(drained).Round(time.Millisecond))
}
