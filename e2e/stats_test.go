package e2e

import (
	"math"
	"testing"
	"time"
)

// statsQueue is one queue of the console's stats (PROTOCOL §12).
type statsQueue struct {
	ID               string  `json:"id"`
	Waiting          int     `json:"waiting"`
	Offered          int     `json:"offered"`
	Answered         int     `json:"answered"`
	Abandoned        int     `json:"abandoned"`
	AnsweredWithinSL int     `json:"answered_within_sl"`
	ServiceLevel     float64 `json:"service_level"`
	AvgWait          float64 `json:"avg_wait_seconds"`
	AvgTalk          float64 `json:"avg_talk_seconds"`
	SLSeconds        int     `json:"sl_seconds"`
}

type statsResult struct {
	Queues []statsQueue `json:"queues"`
	Agents struct {
		ByActivity map[string]int `json:"by_activity"`
		OnCall     int            `json:"on_call"`
		InWrapup   int            `json:"in_wrapup"`
	} `json:"agents"`
	Calls struct {
		Active, Held, Parked, Waiting int
	} `json:"calls"`
}

// TestStatsScriptedFloor (issue 16 "Prove it: Stats"): against the binary,
// SIP callers to queue sales (sl_seconds 3) hang up at chosen times: one
// after 1 s unanswered (a short abandon: in neither answered nor
// abandoned), one after 6.5 s unanswered (abandoned), one answered at
// once (within SL), one answered after 4.5 s (beyond SL). stats then gives
// exactly offered 4, answered 2, abandoned 1, answered_within_sl 1 and
// service_level 1/(2+1); queue support has no calls (service level 1).
func TestStatsScriptedFloor(t *testing.T) {
	g := startGW(t)
	g.seed(t, []map[string]any{
		{"id": "sales", "name": "Sales", "sl_seconds": 3, "timeout_seconds": 30},
		{"id": "support", "name": "Support"},
	}, []agentSpec{{ID: "a1", Ext: "1001", Queues: []string{"sales"}}}, map[string]string{"5000": "queue:sales"})
	adm := g.admin(t)
	a := g.login(t, "a1", toneAgent)

	// Unanswered: the agent is unavailable, the callers wait, then hang up.
	a.WS.MustCall("activity.set", map[string]string{"activity": "unavailable"}, nil)
	short := g.dial(t, "5000", toneCaller1)
	time.Sleep(time.Second) // the script: this caller hangs up after 1 s
	short.bye(t)
	long := g.dial(t, "5000", toneCaller1)
	time.Sleep(6500 * time.Millisecond) // the script: abandoned after 6.5 s
	long.bye(t)

	// Answered: at once, then after 4.5 s of waiting.
	a.WS.MustCall("activity.set", map[string]string{"activity": "available"}, nil)
	fast := g.dial(t, "5000", toneCaller1)
	a.accept(t)
	talking(t, "answered within SL", fast, toneCaller1, a)
	fast.bye(t)
	waitFor(t, 10*time.Second, "the agent to be idle again", func() bool {
		for _, ag := range g.state(t).Agents {
			if ag.ID == "a1" && len(ag.Calls) == 0 {
				return true
			}
		}
		return false
	})
	a.WS.MustCall("activity.set", map[string]string{"activity": "available"}, nil) // out of any wrap-up
	slow := g.dial(t, "5000", toneCaller1)
	res, _ := a.reservation(t)
	time.Sleep(4500 * time.Millisecond) // the script: answered after 4.5 s
	a.WS.MustCall("reservation.accept", map[string]string{"reservation": res}, nil)
	talking(t, "answered beyond SL", slow, toneCaller1, a)
	slow.bye(t)

	var st statsResult
	var sales, support statsQueue
	waitFor(t, 10*time.Second, "stats to count the four calls, all ended", func() bool {
		adm.MustCall("stats", map[string]any{}, &st)
		for _, q := range st.Queues {
			switch q.ID {
			case "sales":
				sales = q
			case "support":
				support = q
			}
		}
		return sales.Offered == 4 && st.Calls.Active == 0
	})
	t.Logf("sales: %+v; support: %+v; agents %+v; calls %+v", sales, support, st.Agents, st.Calls)
	if sales.Answered != 2 || sales.Abandoned != 1 || sales.AnsweredWithinSL != 1 || sales.SLSeconds != 3 || sales.Waiting != 0 {
		t.Errorf("sales = %+v, want offered 4, answered 2, abandoned 1, answered_within_sl 1, sl_seconds 3, waiting 0", sales)
	}
	if want := 1.0 / 3.0; math.Abs(sales.ServiceLevel-want) > 1e-9 {
		t.Errorf("sales service_level = %v, want %v (1 within SL / (2 answered + 1 abandoned); the 1 s abandon counts in neither)", sales.ServiceLevel, want)
	}
	if sales.AvgWait < 2 || sales.AvgWait > 4 { // (≈0.1 + ≈4.5) / 2
		t.Errorf("sales avg_wait_seconds = %v, want about 2.3", sales.AvgWait)
	}
	if support.Offered != 0 || support.ServiceLevel != 1 || support.SLSeconds != 20 {
		t.Errorf("support = %+v, want nothing offered, service_level 1, sl_seconds 20", support)
	}
	if st.Agents.OnCall != 0 || st.Calls.Waiting != 0 || st.Agents.ByActivity["available"]+st.Agents.ByActivity["unavailable"] != 1 {
		t.Errorf("floor = agents %+v calls %+v", st.Agents, st.Calls)
	}
}
