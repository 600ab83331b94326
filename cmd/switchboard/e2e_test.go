package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"switchboard/internal/porttest"
	"switchboard/internal/proctest"
	"switchboard/internal/repotest"
	"switchboard/internal/sipptest"
)

// binary builds cmd/switchboard once per test run.
func binary(t *testing.T) string {
	t.Helper()
	return repotest.BuildOnce(t, "./cmd/switchboard")
}

func TestBinaryRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-rtp-ports", "20000-10000"}, {"-sip-addr", "nope"}, {"-trunk-allow", "10.0.0.0/99"}} {
		cmd := exec.Command(binary(t), args...)
		out, err := cmd.CombinedOutput()
		if err == nil || cmd.ProcessState.ExitCode() == 0 {
			t.Errorf("switchboard %q exited 0, want non-zero", args)
		}
		if !strings.Contains(string(out), args[0]) {
			t.Errorf("switchboard %q said %q, want it to name %s", args, out, args[0])
		}
	}
}

// child is a switchboard child process on loopback.
type child struct {
	cmd      *exec.Cmd
	sipPort  int
	httpAddr string
	mu       sync.Mutex
	logs     []map[string]any
	wg       sync.WaitGroup
}

func startGateway(t *testing.T, rtpBase int, extra ...string) *child {
	t.Helper()
	g := &child{sipPort: porttest.FreeBoth(t), httpAddr: "127.0.0.1:" + strconv.Itoa(porttest.FreeBoth(t))}
	args := []string{"-sip-addr", "127.0.0.1:" + strconv.Itoa(g.sipPort), "-http-addr", g.httpAddr,
		"-media-ip", "127.0.0.1", "-rtp-ports", fmt.Sprintf("%d-%d", rtpBase, rtpBase+1999), "-data", t.TempDir(), "-rtp-timeout", "10s", "-webrtc-port", "0"}
	g.cmd = exec.Command(binary(t), append(args, extra...)...)
	g.cmd.Env = []string{} // no SWITCHBOARD_* from the environment
	stderr, err := g.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	g.wg.Go(func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				g.mu.Lock()
				g.logs = append(g.logs, m)
				g.mu.Unlock()
			}
		}
	})
	t.Cleanup(func() {
		if g.cmd.ProcessState == nil { // not waited for by the test
			done := make(chan struct{})
			go func() { _ = g.cmd.Wait(); close(done) }()
			proctest.Stop(g.cmd.Process, syscall.SIGINT, done, 10*time.Second)
		}
		g.wg.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for g.count("http listening") == 0 || g.count("sip listening") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("gateway did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return g
}

func (g *child) count(msg string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, m := range g.logs {
		if m["msg"] == msg {
			n++
		}
	}
	return n
}

// unanswered returns the log lines of the SIP calls that were offered but
// never logged "call answered", one JSON object per line.
func (g *child) unanswered() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	answered := map[any]bool{}
	for _, m := range g.logs {
		if m["msg"] == "call answered" {
			answered[m["sip_call_id"]] = true
		}
	}
	var b strings.Builder
	for _, m := range g.logs {
		if id, ok := m["sip_call_id"]; ok && !answered[id] {
			line, _ := json.Marshal(m) // a decoded JSON object always encodes
			b.Write(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func (g *child) digits() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var b strings.Builder
	for _, m := range g.logs {
		if m["msg"] == "dtmf received" {
			b.WriteString(fmt.Sprint(m["digit"]))
		}
	}
	return b.String()
}

func TestSIPpEcho(t *testing.T) {
	sipptest.Bin(t)
	for i, transport := range []string{"u1", "t1"} {
		t.Run(transport, func(t *testing.T) {
			g := startGateway(t, 30000+i*2000, "-sip-rate", "1000") // 50 calls/s from one source: over the default 20
			target := "127.0.0.1:" + strconv.Itoa(g.sipPort)
			sipptest.Exec(t, "", 3*time.Minute, "-sn", "uac", "-s", "echo", "-t", transport,
				"-m", "200", "-r", "50", "-l", "50", target)
			// SIPp exits on its last BYE; the gateway's log lines may trail it.
			deadline := time.Now().Add(5 * time.Second)
			for g.count("call answered") < 200 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if n := g.count("call answered"); n != 200 {
				t.Errorf("gateway answered %d calls, want 200; the others' log:\n%s", n, g.unanswered())
			}
		})
	}
}

// DTMF digits (PINs) are logged only at debug (PROTOCOL §14): at info the
// gateway receives them without a log line; at debug it logs each digit.
func TestSIPpDTMF(t *testing.T) {
	dir := sipptest.PcapDir(t)
	for i, level := range []string{"debug", "info"} {
		g := startGateway(t, 34000+i*2000, "-log-level", level)
		sipptest.Exec(t, dir, 3*time.Minute, "-sn", "uac_pcap", "-s", "echo", "-m", "1", "127.0.0.1:"+strconv.Itoa(g.sipPort))
		if level == "info" {
			if d := g.digits(); d != "" {
				t.Errorf("at -log-level info the gateway logged DTMF digits %q", d)
			}
			continue
		}
		// uac_pcap plays the RFC 2833 pcap for digit 1.
		deadline := time.Now().Add(5 * time.Second)
		for g.digits() == "" && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if d := g.digits(); d == "" {
			t.Errorf("gateway logged no \"dtmf received\" at debug")
		} else {
			t.Logf("gateway received DTMF %q", d)
		}
	}
}

func TestSIGTERMDrains(t *testing.T) {
	g := startGateway(t, 36000)
	get := func() int {
		res, err := http.Get("http://" + g.httpAddr + "/healthz")
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	if c := get(); c != 200 {
		t.Fatalf("/healthz = %d, want 200", c)
	}
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// No call in progress: the gateway exits on its own, with status 0.
	done := make(chan error, 1)
	go func() { done <- g.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("gateway did not exit after SIGTERM with no calls")
	}
}
