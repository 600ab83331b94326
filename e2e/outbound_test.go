package e2e

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/sipptest"
)

// sippUAS is `sipp -sn uas -rtp_echo` running as a child process: the
// outbound trunk of the gateway under test.
type sippUAS struct {
	Port   int
	mu     sync.Mutex
	out    strings.Builder
	exited chan struct{}
	err    error
}

func (s *sippUAS) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Write(p)
}

func (s *sippUAS) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// startSIPpUAS runs SIPp's built-in uas scenario with RTP echo for calls
// calls on 127.0.0.1; the test is skipped if sipp is missing.
func startSIPpUAS(t *testing.T, calls int) *sippUAS {
	t.Helper()
	bin := sipptest.Bin(t)
	s := &sippUAS{Port: freePort(t, "udp"), exited: make(chan struct{})}
	mport := freePort(t, "udp")
	for mport == s.Port || mport == s.Port+2 || mport+2 == s.Port {
		mport = freePort(t, "udp")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, bin, "-sn", "uas", "-rtp_echo", "-i", "127.0.0.1", "-mi", "127.0.0.1",
		"-p", strconv.Itoa(s.Port), "-mp", strconv.Itoa(mport), "-m", strconv.Itoa(calls),
		"-nostdin", "-timeout", "60", "-timeout_error")
	cmd.Dir = t.TempDir()
	cmd.Stdout, cmd.Stderr = s, s
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		s.err = cmd.Wait()
		close(s.exited)
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		if t.Failed() {
			t.Log("sipp: " + s.output())
		}
	})
	// Ready once it holds its SIP port.
	waitFor(t, 10*time.Second, "sipp to bind its port", func() bool {
		select {
		case <-s.exited:
			t.Fatalf("sipp exited early: %v\n%s", s.err, s.output())
		default:
		}
		return sipptest.UDPBound(s.Port) // read, not bound: a probe bind could steal the port from sipp
	})
	return s
}

// wait waits for SIPp to finish its calls and checks it saw no failure.
func (s *sippUAS) wait(t *testing.T, timeout time.Duration) {
	t.Helper()
	select {
	case <-s.exited:
	case <-time.After(timeout):
		t.Fatalf("sipp did not finish its calls within %v\n%s", timeout, s.output())
	}
	if s.err != nil {
		t.Fatalf("sipp uas: %v\n%s", s.err, s.output())
	}
}

// Scenario 9: an outbound call through -trunk to SIPp uas -rtp_echo: the
// agent hears its own tone back; with the agent on an inbound call, that
// call is held first (its caller hears music, not the agent).
func TestOutboundThroughTrunkSIPp(t *testing.T) {
	sipp := startSIPpUAS(t, 2)
	// -webrtc-port 0: the default shared port may be held by another gateway under test.
	g := startGateway(t, "-webrtc-port", "0", "-trunk", "sip:127.0.0.1:"+strconv.Itoa(sipp.Port)+";transport=udp")
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001", Queues: []string{"sales"}})
	a := g.login(t, "a1", toneAgent)

	// Alone: dial out and hear the echo of the agent's own tone.
	var out callView
	a.WS.MustCall("call.dial", map[string]string{"to": "5551234"}, &out)
	if out.Direction != "outbound" || out.Kind != "outbound" {
		t.Errorf("call.dial result direction %q kind %q, want outbound", out.Direction, out.Kind)
	}
	start := time.Now()
	hears(t, "agent (own tone echoed by sipp)", a.classify, toneAgent)
	t.Logf("call.dial to echoed tone heard: %v", time.Since(start))
	a.callOp(t, "call.hangup", out.ID)
	waitFor(t, 10*time.Second, "the outbound call to end", func() bool { return len(g.agentCalls(t, "a1")) == 0 })

	// On an inbound queue call: dialling out holds it.
	c := g.dial(t, "5000", toneCaller1)
	inbound := a.accept(t)
	hears(t, "caller", c.classify, toneAgent)
	hears(t, "agent", a.classify, toneCaller1)
	var out2 callView
	a.WS.MustCall("call.dial", map[string]string{"to": "5551234"}, &out2)
	hearsMusic(t, "held inbound caller", c.classify)
	neverHears(t, "held inbound caller", c.ratio, toneAgent, time.Second)
	hears(t, "agent (own tone echoed by sipp) while the inbound call is held", a.classify, toneAgent)
	if st := g.agentCalls(t, "a1"); st[inbound] != "held" || st[out2.ID] != "active" {
		t.Errorf("agent calls = %v, want %s held and %s active", st, inbound, out2.ID)
	}
	a.callOp(t, "call.hangup", out2.ID)
	sipp.wait(t, 30*time.Second)
	c.bye(t)
}
