package e2e

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/internal/repotest"
	"switchboard/internal/sipptest"
)

// The SIP edges of PROTOCOL §14 and issue 13 as SIPp scenarios
// (testdata/sipp) against the built binary. SIPp's exit status says every
// expected message came, in order; the tests then check what the gateway
// did with the call (offer withdrawn, no call left).

// startScenario runs testdata/sipp/<file> once against the gateway's SIP
// port with service (the dialled number) and extra SIPp arguments; the test
// is skipped if sipp is missing.
func startScenario(t *testing.T, g *gateway, file, service string, extra ...string) *sipptest.Run {
	t.Helper()
	args := append([]string{"-sf", repotest.Testdata(t, "sipp/"+file), "-s", service, "-m", "1", "-trace_msg", "-trace_err"}, extra...)
	return sipptest.Start(t, "", append(args, g.SIP.String())...)
}

// noCalls waits until the gateway's state has no call left.
func noCalls(t *testing.T, g *gateway) {
	t.Helper()
	waitFor(t, 10*time.Second, "no call left in state", func() bool { return len(g.state(t).Calls) == 0 })
}

// gwWithAgent starts the gateway with queue sales and agent a1 (extension
// 1001, in sales) logged in, the setup of most scenarios below.
func gwWithAgent(t *testing.T) (*gateway, *agentClient) {
	t.Helper()
	g := startGW(t)
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001", Queues: []string{"sales"}})
	return g, g.login(t, "a1", toneAgent)
}

// TestBinarySIPpAgentScenarios runs SIPp scenarios against extension
// 1001 of gwWithAgent: the agent is offered the call; it accepts it and is
// told the call ended, or the offer is withdrawn; SIPp's scenario passes
// (its own checks: the responses it expects) and no call is left.
func TestBinarySIPpAgentScenarios(t *testing.T) {
	for _, tc := range []struct {
		name, scenario string
		accept         bool // the agent accepts; else the offer is withdrawn
		oneOffer       bool // no second offer follows
	}{
		// An early BYE (after 180, before any final response) gets 200, the
		// INVITE 487, and the ringing agent's offer is withdrawn.
		{name: "early BYE", scenario: "early_bye.xml"},
		// A BYE right after the 200 OK, before the ACK, gets 200 and ends
		// the call on the agent's side too.
		{name: "BYE before ACK", scenario: "bye_before_ack.xml", accept: true},
		// A merged request gets 482; the first INVITE rings the agent once
		// and ends with the early BYE.
		{name: "merged request", scenario: "merged_request.xml", oneOffer: true},
		// Require: 100rel to a ringing agent: the 180 is reliable, SIPp
		// PRACKs it, the agent accepts and the call is answered after the
		// PRACK.
		{name: "PRACK", scenario: "prack.xml", accept: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, a := gwWithAgent(t)
			run := startScenario(t, g, tc.scenario, "1001")
			if tc.accept {
				call := a.accept(t)
				run.Wait(t, 30*time.Second)
				a.expect(t, 10*time.Second, notif{"call.ended", field("id", call)})
			} else {
				res, _ := a.reservation(t)
				run.Wait(t, 30*time.Second)
				a.expect(t, 10*time.Second, notif{"reservation.ended", field("id", res)})
			}
			if tc.oneOffer {
				a.noOffer(t, time.Second)
			}
			noCalls(t, g)
		})
	}
}

// A CANCEL sent right behind its INVITE (SIPp sends both before reading
// anything) gets 200 and the INVITE 487, every time; no agent keeps an
// offer and no call is left (before the fix: 481 and a ghost offer ringing
// the agent for 60 s). Ten calls, one after the other.
func TestBinarySIPpCancelRace(t *testing.T) {
	g, a := gwWithAgent(t)
	for range 10 {
		startScenario(t, g, "cancel_race.xml", "1001").Wait(t, 30*time.Second)
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

// relay is the Record-Route hop of TestBinarySIPpRecordRoute: a UDP socket
// that forwards every datagram to SIPp and keeps where each came from and
// its first line.
type relay struct {
	conn *net.UDPConn
	to   atomic.Pointer[netip.AddrPort]
	mu   sync.Mutex
	got  []relayed
	wg   sync.WaitGroup
}

type relayed struct {
	from netip.AddrPort
	line string
}

func newRelay(t *testing.T) *relay {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{conn: c}
	r.wg.Go(func() {
		buf := make([]byte, 65535)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
			r.mu.Lock()
			r.got = append(r.got, relayed{from, line})
			r.mu.Unlock()
			if to := r.to.Load(); to != nil {
				_, _ = c.WriteToUDPAddrPort(buf[:n], *to)
			}
		}
	})
	t.Cleanup(func() { _ = c.Close(); r.wg.Wait() })
	return r
}

func (r *relay) port() int { return r.conn.LocalAddr().(*net.UDPAddr).Port }

func (r *relay) received() []relayed {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]relayed(nil), r.got...)
}

// A Record-Route in the caller's INVITE is honoured in the dialog: the 200
// copies it, and the gateway's BYE (the agent hangs up) goes to the
// Record-Route hop, not to the caller's Contact, with a Route header naming
// it, and it leaves from the gateway's SIP listening port (before the fix:
// a random UDP port).
func TestBinarySIPpRecordRoute(t *testing.T) {
	g, a := gwWithAgent(t)
	hop := newRelay(t)
	run := startScenario(t, g, "record_route.xml", "1001", "-set", "route_port", strconv.Itoa(hop.port()))
	sipp := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(run.Port))
	hop.to.Store(&sipp)
	call := a.accept(t)
	waitFor(t, 10*time.Second, "the call to be active", func() bool { return g.agentCalls(t, "a1")[call] == "active" })
	a.callOp(t, "call.hangup", call)
	run.Wait(t, 40*time.Second)
	got := hop.received()
	if len(got) != 1 || !strings.HasPrefix(got[0].line, "BYE sip:sipp@127.0.0.1:"+strconv.Itoa(run.Port)) {
		t.Fatalf("the Record-Route hop got %+v, want the BYE to the caller's Contact only", got)
	}
	if got[0].from != g.SIP {
		t.Errorf("the BYE came from %v, want the SIP listening address %v", got[0].from, g.SIP)
	}
	noCalls(t, g)
}

// The other SIPp scenarios, so far run against an in-process trunk
// only, against the binary: UPDATE with and without SDP on an echo call,
// and Session-Expires 30 refused with 422 Min-SE 90.
func TestBinarySIPpUpdateAndSessionExpires(t *testing.T) {
	g := startGW(t)
	startScenario(t, g, "update.xml", "echo").Wait(t, 30*time.Second)
	startScenario(t, g, "session_expires_30.xml", "echo").Wait(t, 30*time.Second)
	noCalls(t, g)
}

// A CANCEL racing the 200 OK (echo answers at once): whichever wins, the
// call ends cleanly (487 and ACK, or 200, ACK and BYE) and none is left;
// each call's end is logged as what the caller saw (a call whose 200 lost
// to the CANCEL is "canceled", not "no ack" as before). Twenty calls one
// after the other; the counts of each ending are logged.
func TestBinarySIPpCancelRacing200(t *testing.T) {
	g := startGW(t)
	for range 20 {
		startScenario(t, g, "cancel_200_race.xml", "echo").Wait(t, 30*time.Second)
	}
	noCalls(t, g)
	var answered, cancelled, early int
	waitFor(t, 30*time.Second, "20 calls ended (each logged as answered, cancelled or refused)", func() bool {
		answered = logCount(g, `"call ended"`, `"number":"echo"`, `"reason":"remote hangup"`)
		cancelled = logCount(g, `"call ended"`, `"number":"echo"`, `"reason":"canceled"`)
		early = logCount(g, `"invite refused"`, `"transaction canceled"`) // before the call was made
		return answered+cancelled+early == 20
	})
	t.Logf("20 INVITE+CANCEL pairs to echo: %d answered then hung up (BYE), %d cancelled after the offer, %d before it (487 both)",
		answered, cancelled, early)
}

// logCount counts the gateway log lines that contain every part.
func logCount(g *gateway, parts ...string) int {
	n := 0
	for _, l := range g.child.Lines() {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			n++
		}
	}
	return n
}
