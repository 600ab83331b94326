package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/porttest"
	"switchboard/internal/proctest"
	"switchboard/media"
	"switchboard/media/webrtcleg/webrtclegtest"
)

// coturn is a turnserver child process on loopback.
type coturn struct {
	URL    string // turn:127.0.0.1:port?transport=udp
	Secret string
	*proctest.Child
}

// startCoturn runs coturn with the TURN REST API (use-auth-secret) on
// loopback, relaying from 127.0.0.1 to loopback peers only.
func startCoturn(t *testing.T) *coturn {
	t.Helper()
	bin, err := exec.LookPath("turnserver")
	if err != nil {
		t.Skip("turnserver not on PATH: install the Debian package coturn to run the TURN test")
	}
	port := porttest.Free(t, "udp")
	relayBase := 52000 + int(portBase.Add(1))*20 // clear of the gateways' RTP ranges
	c := &coturn{URL: fmt.Sprintf("turn:127.0.0.1:%d?transport=udp", port), Secret: "e2e-turn-secret"}
	dir := t.TempDir()
	cmd := exec.Command(bin, "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
		fmt.Sprintf("--listening-port=%d", port), fmt.Sprintf("--min-port=%d", relayBase), fmt.Sprintf("--max-port=%d", relayBase+19),
		"--use-auth-secret", "--static-auth-secret="+c.Secret, "--realm=switchboard.test",
		"--no-tls", "--no-dtls", "--no-tcp-relay", "--allow-loopback-peers", "--no-cli", "--no-multicast-peers",
		"--fingerprint", "--pidfile="+filepath.Join(dir, "turnserver.pid"), "--log-file=stdout", "--simple-log", "-v")
	c.Child = proctest.Start(t, "coturn", cmd, os.Kill, 0)
	waitFor(t, 10*time.Second, "coturn listening", func() bool { return c.Logged("listener opened on") || c.Logged("Total UDP servers") })
	return c
}

// TestTURNRelayedAgent: coturn on loopback with use-auth-secret; the agent
// takes the ice_servers of its login result (TURN credentials made with
// -turn-secret) into a PeerConnection forced to ICETransportPolicy relay,
// and hears a queue call both ways through coturn, with the ICE-lite
// engine answering the relayed candidate.
func TestTURNRelayedAgent(t *testing.T) {
	turn := startCoturn(t)
	g := startGateway(t, "-ice-servers", "stun:127.0.0.1:3478,"+turn.URL, "-turn-secret", turn.Secret)
	g.seed(t, []map[string]any{{"id": "sales", "name": "Sales"}}, []agentSpec{{ID: "ann", Ext: "201", Queues: []string{"sales"}}}, map[string]string{"500": "queue:sales"})

	a := &agentClient{ID: "ann", tne: toneAgent}
	a.WS = g.dialWS(t, "/ws/agent")
	var login struct {
		ICEServers []struct {
			URLs       []string `json:"urls"`
			Username   string   `json:"username"`
			Credential string   `json:"credential"`
		} `json:"ice_servers"`
	}
	a.WS.MustCall("login", map[string]string{"agent": "ann", "password": "pw-ann"}, &login)
	var servers []webrtclegtest.ICEServer
	var turnUser string
	for _, s := range login.ICEServers {
		servers = append(servers, webrtclegtest.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
		if len(s.URLs) > 0 && strings.HasPrefix(s.URLs[0], "turn:") {
			turnUser = s.Username
		}
	}
	if exp, user, ok := strings.Cut(turnUser, ":"); !ok || user != "ann" || len(exp) != 10 {
		t.Fatalf("login ice_servers = %+v, want a TURN entry with username <expiry>:ann", login.ICEServers)
	}
	a.Br = webrtclegtest.NewBrowserWith(t, webrtclegtest.Options{Codecs: []media.Codec{media.PCMU}, ICEServers: servers, RelayOnly: true})
	var ans struct {
		SDP string `json:"sdp"`
	}
	offer := a.Br.Offer()
	if !strings.Contains(string(offer), " typ relay") || strings.Contains(string(offer), " typ host") {
		t.Fatalf("relay-only offer should carry relay candidates only:\n%s", offer)
	}
	a.WS.MustCall("webrtc.offer", map[string]string{"sdp": string(offer)}, &ans)
	a.Br.SetAnswer([]byte(ans.SDP))
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	if err := a.Br.WaitConnected(ctx, 15*time.Second); err != nil {
		t.Fatalf("agent webrtc through TURN: %v", err)
	}
	if local, _ := a.Br.SelectedCandidateTypes(); local != "relay" {
		t.Errorf("selected local candidate type = %q, want relay", local)
	}
	a.Br.SendTone(toneAgent)
	a.takesCall(t, g, "500", "agent (through coturn)")
}
