package e2e

import (
	"encoding/json"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/signaling/ws/wstest"
)

// q is one party's quality as the gateway reports it (PROTOCOL §9).
type q struct {
	Packets     uint64   `json:"packets"`
	Lost        uint64   `json:"lost"`
	LossPercent float64  `json:"loss_percent"`
	JitterMS    float64  `json:"jitter_ms"`
	RTTMS       *float64 `json:"rtt_ms"`
	MOS         float64  `json:"mos"`
}

type quality struct {
	Caller q `json:"caller"`
	Agent  q `json:"agent"`
}

// endedQuality waits on an admin event stream for call's call.ended and
// returns its quality.
func endedQuality(t *testing.T, adm *wstest.Client, call string) quality {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		n := adm.WaitNotification("event", time.Until(deadline))
		var e struct {
			Type    string   `json:"type"`
			Call    string   `json:"call"`
			Quality *quality `json:"quality"`
		}
		decode(t, n.Params, &e)
		if e.Type == "call.ended" && e.Call == call {
			if e.Quality == nil {
				t.Fatalf("call.ended without quality: %s", n.Params)
			}
			return *e.Quality
		}
	}
	t.Fatalf("no call.ended for %s", call)
	return quality{}
}

// liveQuality returns the quality of call in the admin state (zero if none).
func liveQuality(t *testing.T, g *gateway, call string) quality {
	t.Helper()
	c := g.admin(t)
	defer c.Close()
	var st struct {
		Calls []struct {
			ID      string   `json:"id"`
			Quality *quality `json:"quality"`
		} `json:"calls"`
	}
	c.MustCall("state", map[string]any{}, &st)
	for _, sc := range st.Calls {
		if sc.ID == call && sc.Quality != nil {
			return *sc.Quality
		}
	}
	return quality{}
}

// qualityCall runs a queue call whose caller loses every dropEvery-th packet
// (0: none) for about 8 s of talk, and returns the quality of the live call
// in state, of call.ended, and of its call record.
func qualityCall(t *testing.T, g *gateway, a *agentClient, adm *wstest.Client, dropEvery int) (live, ended, record quality) {
	t.Helper()
	ph := rtplegtest.NewPhone(t, media.PCMU)
	ph.DropEvery(dropEvery)
	c := g.dialFrom(t, "5000", toneCaller1, ph)
	call := a.accept(t)
	talking(t, "quality call", c, toneCaller1, a)
	// About 8 s of talk measured: poll the live state until the caller's
	// leg has received 400 packets.
	waitFor(t, 20*time.Second, "400 packets from the caller in the live state", func() bool {
		live = liveQuality(t, g, call)
		return live.Caller.Packets >= 400
	})
	c.bye(t)
	ended = endedQuality(t, adm, call)
	waitFor(t, 5*time.Second, "the call record", func() bool {
		var rs []struct {
			Call    string          `json:"call"`
			Quality json.RawMessage `json:"quality"`
		}
		adm.MustCall("records.list", map[string]any{}, &rs)
		for _, r := range rs {
			if r.Call == call && len(r.Quality) > 0 {
				decode(t, r.Quality, &record)
				return true
			}
		}
		return false
	})
	return live, ended, record
}

// PROTOCOL §9 "Call quality": a caller that drops 5 % of its packets is
// recorded at 5 ± 2 % loss, in call.ended, the call record and the live
// state; a loss-free call scores MOS >= 4.2, above the lossy one; the
// agent's side is measured too; the per-call histograms count both calls.
func TestCallQuality(t *testing.T) {
	g := startGW(t)
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001", Queues: []string{"sales"}})
	a := g.login(t, "a1", toneAgent)
	adm := g.admin(t)
	adm.MustCall("subscribe", map[string]any{}, nil)

	live, lossy, rec := qualityCall(t, g, a, adm, 20)
	t.Logf("lossy call: ended %+v, record caller %+v", lossy, rec.Caller)
	for what, got := range map[string]q{"call.ended": lossy.Caller, "record": rec.Caller, "live state": live.Caller} {
		if got.LossPercent < 3 || got.LossPercent > 7 {
			t.Errorf("%s: caller loss %.2f %%, want 5 ± 2 (%+v)", what, got.LossPercent, got)
		}
	}
	_, clean, _ := qualityCall(t, g, a, adm, 0)
	t.Logf("clean call: ended %+v", clean)
	if clean.Caller.MOS < 4.2 || clean.Caller.MOS <= lossy.Caller.MOS || clean.Caller.Lost != 0 {
		t.Errorf("clean call caller %+v, lossy %+v: want MOS >= 4.2 and above the lossy call's", clean.Caller, lossy.Caller)
	}
	if clean.Agent.Packets < 300 || clean.Agent.MOS < 4.2 {
		t.Errorf("clean call agent side %+v: want measured, MOS >= 4.2", clean.Agent)
	}
	// The agent's browser leg carried the first call too: the second call's
	// agent counts start when it reached the agent (about as many packets
	// as the caller sent in the call, not the session's total).
	if clean.Agent.Packets > clean.Caller.Packets+150 {
		t.Errorf("clean call agent packets %d vs caller %d: counted from before the call reached the agent", clean.Agent.Packets, clean.Caller.Packets)
	}
	if n := g.metric(t, `switchboard_call_mos_count{party="caller"}`); n != 2 {
		t.Errorf("switchboard_call_mos_count{party=caller} = %v, want 2", n)
	}
}
