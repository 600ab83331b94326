// Package wallboard computes the console's `stats {since?}` result
// (PROTOCOL §12) from finished call records and a snapshot of the live
// floor. Compute is a pure function: no clock, no store, no locks.
//
// Definitions (per queue, calls that entered the queue at or after Since):
//   - offered: every such call, finished (a CallRecord with Queue = id) or
//     live (a call of the floor with Queue = id), short abandons included.
//   - answered: the call reached an agent (record Outcome "answered:…", or
//     a live call with answered_at). Its wait is WaitSeconds (live:
//     answered_at - started_at).
//   - abandoned: a finished, unanswered call that the caller ended
//     (outcome "remote hangup", "canceled", "caller_hangup" or
//     "rtp timeout") after waiting ShortAbandonSeconds (5 s) or more.
//     Callers who abandon within 5 s count in neither answered nor
//     abandoned. Calls the gateway ended (fallback, shutdown, admin hang
//     up) are offered only.
//   - answered_within_sl: answered with wait <= the queue's sl_seconds.
//   - service_level = answered_within_sl / (answered + abandoned); 1 when
//     the divisor is 0 (nobody was kept waiting).
//   - avg_wait_seconds: mean wait of the answered calls; avg_talk_seconds:
//     mean TalkSeconds of the finished answered calls.
//
// A call present both as a record and live (the record is written as the
// call ends) counts once, as the record. waiting and longest_wait_seconds
// are the floor's; agents and calls count the floor as it is now.
package wallboard

import (
	"math"
	"strings"
	"time"

	"switchboard/store"
	"switchboard/view"
)

// ShortAbandonSeconds: callers who hang up sooner count in neither
// answered nor abandoned.
const ShortAbandonSeconds = 5

// Queue is a configured queue.
type Queue struct {
	ID        string
	Name      string
	SLSeconds int // 0 means store.DefaultSLSeconds
}

// Input is everything Compute reads.
type Input struct {
	Since   time.Time
	Queues  []Queue
	Records []store.CallRecord
	Live    view.Floor // the admin `state`: queues waiting, agents, live calls
}

// QueueStats is one entry of Stats.Queues.
type QueueStats struct {
	ID                 string  `json:"id"`
	Name               string  `json:"name"`
	Waiting            int     `json:"waiting"`
	LongestWaitSeconds float64 `json:"longest_wait_seconds"`
	Offered            int     `json:"offered"`
	Answered           int     `json:"answered"`
	Abandoned          int     `json:"abandoned"`
	AnsweredWithinSL   int     `json:"answered_within_sl"`
	ServiceLevel       float64 `json:"service_level"`
	AvgWaitSeconds     float64 `json:"avg_wait_seconds"`
	AvgTalkSeconds     float64 `json:"avg_talk_seconds"`
	SLSeconds          int     `json:"sl_seconds"` // addition: the threshold used
}

// AgentStats is Stats.Agents.
type AgentStats struct {
	ByActivity map[string]int `json:"by_activity"`
	OnCall     int            `json:"on_call"`
	InWrapup   int            `json:"in_wrapup"`
}

// CallStats is Stats.Calls.
type CallStats struct {
	Active  int `json:"active"`
	Held    int `json:"held"`
	Parked  int `json:"parked"`
	Waiting int `json:"waiting"`
}

// Stats is the `stats` result.
type Stats struct {
	Queues []QueueStats `json:"queues"`
	Agents AgentStats   `json:"agents"`
	Calls  CallStats    `json:"calls"`
}

// callerEnded are the outcomes of a call the caller ended.
var callerEnded = map[string]bool{"remote hangup": true, "canceled": true, "caller_hangup": true, "rtp timeout": true}

type acc struct {
	QueueStats
	sl      float64
	waitSum float64
	talkSum float64
	talkN   int
	seen    map[string]bool
}

func (a *acc) answered(wait float64) {
	a.Answered++
	a.waitSum += wait
	if wait <= a.sl {
		a.AnsweredWithinSL++
	}
}

// Compute builds the stats. Queues come out in the order of in.Queues.
func Compute(in Input) Stats {
	out := Stats{Queues: []QueueStats{}, Agents: AgentStats{ByActivity: map[string]int{}}}
	accs := make([]*acc, len(in.Queues))
	byID := make(map[string]*acc, len(in.Queues))
	for i, q := range in.Queues {
		sl := q.SLSeconds
		if sl <= 0 {
			sl = store.DefaultSLSeconds
		}
		a := &acc{QueueStats: QueueStats{ID: q.ID, Name: q.Name, SLSeconds: sl}, sl: float64(sl), seen: map[string]bool{}}
		accs[i], byID[q.ID] = a, a
	}
	for _, lq := range in.Live.Queues {
		if a := byID[lq.ID]; a != nil {
			a.Waiting, a.LongestWaitSeconds = lq.Waiting, lq.LongestWaitSecs
		}
	}
	for _, r := range in.Records {
		a := byID[r.Queue]
		if a == nil || r.StartedAt.Before(in.Since) || a.seen[r.Call] {
			continue
		}
		a.seen[r.Call] = true
		a.Offered++
		switch {
		case strings.HasPrefix(r.Outcome, "answered"):
			a.answered(r.WaitSeconds)
			a.talkSum += r.TalkSeconds
			a.talkN++
		case callerEnded[r.Outcome] && r.WaitSeconds >= ShortAbandonSeconds:
			a.Abandoned++
		}
	}
	live := liveCalls(in.Live)
	for _, c := range live {
		a := byID[c.Queue]
		if a == nil || a.seen[c.ID] { // its record is counted (the call ended meanwhile)
			continue
		}
		started, err := time.Parse(time.RFC3339Nano, c.StartedAt)
		if err != nil || started.Before(in.Since) {
			continue
		}
		a.Offered++
		if answered, err := time.Parse(time.RFC3339Nano, c.AnsweredAt); err == nil {
			a.answered(math.Max(0, answered.Sub(started).Seconds()))
		}
	}
	for _, a := range accs {
		a.ServiceLevel = 1
		if d := a.Answered + a.Abandoned; d > 0 {
			a.ServiceLevel = float64(a.AnsweredWithinSL) / float64(d)
		}
		if a.Answered > 0 {
			a.AvgWaitSeconds = a.waitSum / float64(a.Answered)
		}
		if a.talkN > 0 {
			a.AvgTalkSeconds = a.talkSum / float64(a.talkN)
		}
		out.Queues = append(out.Queues, a.QueueStats)
	}
	for _, ag := range in.Live.Agents {
		out.Agents.ByActivity[ag.Activity]++
		if ag.Wrapup {
			out.Agents.InWrapup++
		}
		for _, c := range ag.Calls {
			if c.State == "active" || c.State == "held" {
				out.Agents.OnCall++
				break
			}
		}
	}
	parked := 0
	for _, c := range live {
		switch c.State {
		case "active":
			out.Calls.Active++
		case "held":
			out.Calls.Held++
		case "parked":
			parked++
		case "waiting":
			out.Calls.Waiting++
		}
	}
	out.Calls.Parked = max(parked, len(in.Live.Parked))
	return out
}

// liveCalls is every call of the floor once: the floor's list, plus any
// agent call it lacks. A call is its node and id (on several nodes, ids
// are per node: PROTOCOL §13).
func liveCalls(l view.Floor) []view.Call {
	out := make([]view.Call, 0, len(l.Calls))
	seen := make(map[[2]string]bool, len(l.Calls))
	add := func(c view.Call) {
		if k := [2]string{c.Node, c.ID}; !seen[k] {
			seen[k] = true
			out = append(out, c)
		}
	}
	for _, c := range l.Calls {
		add(c)
	}
	for _, ag := range l.Agents {
		for _, c := range ag.Calls {
			add(c)
		}
	}
	return out
}
