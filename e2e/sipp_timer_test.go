package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/sipptest"
)

// Session-Expires: 90;refresher=uac and no refresh from SIPp, against the
// binary with its default timers (no test-only flag: the contract's 90 s
// is what runs): the gateway's BYE comes about 90 s after the answer. The
// time is taken from SIPp's own message trace (when it received the 200
// and when it received the BYE). SIPp sends no RTP here, so the gateway
// runs with -rtp-timeout 150s: with the default 60 s the RTP timeout ends
// the call first (found by this test: BYE at 60.00 s, reason "rtp
// timeout"). Skipped with -short (about 95 s).
func TestBinarySIPpSessionExpires90WithoutRefresh(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the session expires after 90 s")
	}
	g := startGW(t, "-rtp-timeout", "150s")
	run := startScenario(t, g, "session_expires_90.xml", "echo", "-timeout", "150")
	run.Wait(t, 150*time.Second)
	ok, bye := sippReceived(t, run, "SIP/2.0 200 OK"), sippReceived(t, run, "BYE ")
	if len(ok) == 0 || len(bye) != 1 {
		t.Fatalf("SIPp received %d 200 OK and %d BYE, want at least 1 and exactly 1\n%s", len(ok), len(bye), run.Tail())
	}
	d := bye[0].Sub(ok[0])
	t.Logf("BYE %.2f s after the 200 OK (Session-Expires 90, refresher=uac, no refresh)", d.Seconds())
	if d < 88*time.Second || d > 93*time.Second {
		t.Errorf("BYE %v after the answer, want about 90 s", d)
	}
	if n := logCount(g, "session expired without refresh"); n != 1 {
		t.Errorf("gateway logged %d session expiries, want 1", n)
	}
	waitFor(t, 5*time.Second, "call ended as session expired", func() bool {
		return logCount(g, `"call ended"`, `"reason":"session expired"`) == 1
	})
	noCalls(t, g)
}

// sippReceived is when SIPp received each message whose first line starts
// with prefix, from its -trace_msg log (read after SIPp exited). Each
// message there follows a line "----...---- YYYY-MM-DD HH:MM:SS.micro" and
// "UDP message received [n] bytes :".
func sippReceived(t *testing.T, r *sipptest.Run, prefix string) []time.Time {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(r.Dir, "*_messages.log"))
	if len(logs) != 1 {
		t.Fatalf("SIPp message logs: %v, want one", logs)
	}
	b, err := os.ReadFile(logs[0])
	if err != nil {
		t.Fatal(err)
	}
	var out []time.Time
	lines := strings.Split(string(b), "\n")
	for i := 0; i+3 < len(lines); i++ {
		l := lines[i]
		if !strings.HasPrefix(l, "-----") {
			continue
		}
		stamp := strings.TrimSpace(strings.TrimLeft(l, "- "))
		if !strings.Contains(lines[i+1], "message received") {
			continue
		}
		first := ""
		for _, m := range lines[i+2:] {
			if m = strings.TrimSpace(m); m != "" {
				first = m
				break
			}
		}
		if !strings.HasPrefix(first, prefix) {
			continue
		}
		at, err := time.Parse("2006-01-02 15:04:05.000000", stamp)
		if err != nil {
			t.Fatalf("SIPp trace timestamp %q: %v", stamp, err)
		}
		out = append(out, at)
	}
	return out
}
