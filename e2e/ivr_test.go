package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// ivrCall is ivrGateway with a silent caller on 6000 that hears the
// prompt.
func ivrCall(t *testing.T) (*gateway, *agentClient, *caller) {
	t.Helper()
	g, a := ivrGateway(t)
	c := g.dial(t, "6000", 0)
	hearsMusic(t, "IVR caller (prompt)", c.classify)
	return g, a, c
}

// ivrGateway starts a gateway with the IVR on 6000 and agent a1 on 1001.
func ivrGateway(t *testing.T) (*gateway, *agentClient) {
	t.Helper()
	g := startGW(t)
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001"})
	return g, g.login(t, "a1", toneAgent)
}

// ivrEntry waits for the gateway to log the IVR entry of try n.
func ivrEntry(t *testing.T, g *gateway, entry string, known bool, try int, timeout time.Duration) {
	t.Helper()
	waitFor(t, timeout, fmt.Sprintf("IVR entry %q (try %d)", entry, try), func() bool {
		return g.Logged(`"msg":"ivr entry"`, fmt.Sprintf(`"entry":%q`, entry), fmt.Sprintf(`"known":%v`, known), fmt.Sprintf(`"try":%d`, try))
	})
}

// sendDTMF sends RFC 4733 digits and fails the test on error.
func (c *caller) sendDTMF(t *testing.T, digits string) {
	t.Helper()
	if err := c.RTP.SendDTMF(digits); err != nil {
		t.Fatalf("send DTMF %q: %v", digits, err)
	}
}

// infoDTMF sends digits as SIP INFO (application/dtmf-relay), one per
// request.
func (c *caller) infoDTMF(t *testing.T, digits string) {
	t.Helper()
	for _, d := range digits {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		code, err := c.Dlg.Info(ctx, "application/dtmf-relay", fmt.Appendf(nil, "Signal=%c\r\nDuration=160\r\n", d))
		cancel()
		if err != nil || code != 200 {
			t.Fatalf("INFO digit %c: code %d, err %v", d, code, err)
		}
	}
}

// ivrConnected checks the IVR call reached a1 as a direct call with audio
// both ways.
func ivrConnected(t *testing.T, c *caller, a *agentClient) {
	t.Helper()
	p := a.offer(t)
	if p["kind"] != "direct" {
		t.Errorf("IVR offer kind %v, want direct", p["kind"])
	}
	a.WS.MustCall("reservation.accept", map[string]string{"reservation": p["id"].(string)}, nil)
	c.RTP.PlayTone(toneCaller1)
	talking(t, "IVR call", c, toneCaller1, a)
}

// ivrTry is one entry of an IVR caller: digits sent by RFC 4733, or by SIP
// INFO when info, or none when "" (the caller stays silent); the entry the
// gateway logs for it and how long that may take; and, for an entry that
// re-prompts, why.
type ivrTry struct {
	digits   string
	info     bool
	entry    string
	reprompt string // "" for a known extension
	timeout  time.Duration
}

// Scenario 10: entries that re-prompt (a short entry "10#", an unknown
// extension, silence), then a valid one, by RFC 4733 or by SIP INFO,
// reaches the agent.
func TestIVRRepromptThenValid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		tries []ivrTry
	}{
		{"short unknown valid", []ivrTry{
			{digits: "10#", entry: "10", reprompt: "a short entry", timeout: 10 * time.Second},
			{digits: "9999", entry: "9999", reprompt: "an unknown extension", timeout: 15 * time.Second},
			{digits: "1001", entry: "1001", timeout: 15 * time.Second},
		}},
		{"silent then info", []ivrTry{
			{reprompt: "silence", timeout: 20 * time.Second}, // the prompt (about 5 s) then 5 s without a digit
			{digits: "1001", info: true, entry: "1001", timeout: 15 * time.Second},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, a, c := ivrCall(t)
			for i, try := range tc.tries {
				switch {
				case try.info:
					c.infoDTMF(t, try.digits)
				case try.digits != "":
					c.sendDTMF(t, try.digits)
				}
				ivrEntry(t, g, try.entry, try.reprompt == "", i+1, try.timeout)
				if try.reprompt != "" {
					hearsMusic(t, "IVR caller (re-prompt after "+try.reprompt+")", c.classify)
				}
			}
			ivrConnected(t, c, a)
		})
	}
}

// Scenario 10: three bad entries end the call (announcement, BYE).
func TestIVRThreeTries(t *testing.T) {
	t.Parallel()
	g, a, c := ivrCall(t)
	for try := 1; try <= 3; try++ {
		c.sendDTMF(t, "9999")
		ivrEntry(t, g, "9999", false, try, 15*time.Second)
	}
	hearsMusic(t, "IVR caller (goodbye)", c.classify)
	c.ended(t, "IVR caller after three tries", 15*time.Second)
	a.noOffer(t, 200*time.Millisecond)
}
