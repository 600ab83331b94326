package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// The SIP edges of PROTOCOL §14 and issue 13 as SIPp scenarios
// (testdata/sipp) against the built binary. SIPp's exit status says every
// expected message came, in order; the tests then check what the gateway
// did with the call (offer withdrawn, no call left).

// sippRun is a SIPp scenario running as a child process.
type sippRun struct {
	out    bytes.Buffer
	dir    string // SIPp's working directory: its -trace_msg and -trace_err logs
	done   chan struct{}
	err    error
	cancel context.CancelFunc
}

// startScenario runs testdata/sipp/<file> once against the gateway's SIP
// port with service (the dialled number) and extra SIPp arguments; the test
// is skipped if sipp is missing.
func startScenario(t *testing.T, g *gateway, file, service string, extra ...string) *sippRun {
	t.Helper()
	bin, err := exec.LookPath("sipp")
	if err != nil {
		t.Skip("sipp not on PATH: install the Debian package sip-tester to run the SIPp tests")
	}
	sf, err := filepath.Abs(filepath.Join("..", "testdata", "sipp", file))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	args := append([]string{"-i", "127.0.0.1", "-mi", "127.0.0.1", "-nostdin", "-timeout", "60", "-timeout_error",
		"-p", strconv.Itoa(freePort(t, "udp")), "-mp", strconv.Itoa(freePort(t, "udp")),
		"-sf", sf, "-s", service, "-m", "1", "-trace_msg", "-trace_err"}, extra...)
	args = append(args, g.SIP.String())
	cmd := exec.CommandContext(ctx, bin, args...)
	r := &sippRun{done: make(chan struct{}), cancel: cancel, dir: t.TempDir()}
	cmd.Dir = r.dir
	cmd.Stdout, cmd.Stderr = &r.out, &r.out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		defer close(r.done)
		defer cancel()
		r.err = cmd.Wait()
	}()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

// wait waits for the scenario to end and fails the test if SIPp failed.
func (r *sippRun) wait(t *testing.T, timeout time.Duration) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(timeout):
		r.cancel()
		<-r.done
		t.Fatalf("sipp still running after %v\n%s", timeout, r.tail())
	}
	if r.err != nil {
		t.Fatalf("sipp: %v\n%s", r.err, r.tail())
	}
}

// tail is the end of SIPp's output and logs (read only after it exited).
func (r *sippRun) tail() string {
	out := r.out.String()
	logs, _ := filepath.Glob(filepath.Join(r.dir, "*.log"))
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		out += "\n--- " + filepath.Base(l) + "\n" + string(b)
	}
	if len(out) > 6000 {
		out = out[len(out)-6000:]
	}
	return out
}

// noCalls waits until the gateway's state has no call left.
func noCalls(t *testing.T, g *gateway) {
	t.Helper()
	waitFor(t, 10*time.Second, "no call left in state", func() bool { return len(g.state(t).Calls) == 0 })
}

// An early BYE (after 180, before any final response) gets 200, the INVITE
// 487, and the ringing agent's offer is withdrawn.
func TestBinarySIPpEarlyBye(t *testing.T) {
	g := startGW(t)
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001", Queues: []string{"sales"}})
	a := g.login(t, "a1", toneAgent)
	run := startScenario(t, g, "early_bye.xml", "1001")
	res, _ := a.reservation(t)
	run.wait(t, 30*time.Second)
	a.expect(t, 10*time.Second, notif{"reservation.ended", field("id", res)})
	noCalls(t, g)
}

// A merged request gets 482; the first INVITE rings the agent once and
// ends with the early BYE.
func TestBinarySIPpMergedRequest(t *testing.T) {
	g := startGW(t)
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001", Queues: []string{"sales"}})
	a := g.login(t, "a1", toneAgent)
	run := startScenario(t, g, "merged_request.xml", "1001")
	res, _ := a.reservation(t)
	run.wait(t, 30*time.Second)
	a.expect(t, 10*time.Second, notif{"reservation.ended", field("id", res)})
	a.noOffer(t, time.Second)
	noCalls(t, g)
}

// A CANCEL sent right behind its INVITE (SIPp sends both before reading
// anything) gets 200 and the INVITE 487, every time; no agent keeps an
// offer and no call is left (before the fix: 481 and a ghost offer ringing
// the agent for 60 s). Ten calls, one after the other.
func TestBinarySIPpCancelRace(t *testing.T) {
	g := startGW(t)
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001", Queues: []string{"sales"}})
	a := g.login(t, "a1", toneAgent)
	for range 10 {
		startScenario(t, g, "cancel_race.xml", "1001").wait(t, 30*time.Second)
	}
	noCalls(t, g)
	// Every offer the race made is withdrawn.
	created, ended := 0, 0
	waitFor(t, 10*time.Second, "every offer withdrawn", func() bool {
		for {
			select {
			case n := <-a.WS.Notifications:
				switch n.Method {
				case "reservation.created":
					created++
				case "reservation.ended":
					ended++
				}
				continue
			default:
			}
			return created == ended
		}
	})
	t.Logf("10 INVITE+CANCEL pairs: %d offers made, %d withdrawn", created, ended)
}
