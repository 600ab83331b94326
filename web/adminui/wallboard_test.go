package adminui

import (
	"strings"
	"testing"
	"time"

	"switchboard/web/webtest"
)

func wallStats(salesSL float64, salesAnswered, salesWithin int) map[string]any {
	return map[string]any{
		"queues": []any{
			map[string]any{"id": "sales", "name": "Sales", "waiting": 0, "longest_wait_seconds": 0, "offered": 9, "answered": salesAnswered,
				"abandoned": 2, "answered_within_sl": salesWithin, "service_level": salesSL, "avg_wait_seconds": 14.5, "avg_talk_seconds": 60, "sl_seconds": 20},
			map[string]any{"id": "support", "name": "Support", "waiting": 1, "longest_wait_seconds": 45, "offered": 3, "answered": 1,
				"abandoned": 0, "answered_within_sl": 1, "service_level": 1, "avg_wait_seconds": 4, "avg_talk_seconds": 30, "sl_seconds": 30},
		},
		"agents": map[string]any{"by_activity": map[string]any{"available": 3, "break": 1}, "on_call": 2, "in_wrapup": 1},
		"calls":  map[string]any{"active": 2, "held": 1, "parked": 1, "waiting": 1},
	}
}

// TestWallboard: the Floor shows the stats (per-queue service level,
// abandoned, longest wait, totals, agents by activity), highlights a queue
// under 80 % or waiting longer than its sl_seconds, follows floor events,
// and asks for stats at most once a second.
func TestWallboard(t *testing.T) {
	ctx, srv, fake := startConsole(t)
	wait := func(expr string) {
		t.Helper()
		webtest.WaitTrue(t, ctx, expr, 5*time.Second, `document.querySelector('#section-floor').innerText`)
	}
	fake.mu.Lock()
	fake.queues["sales"] = map[string]any{"id": "sales", "name": "Sales"}
	fake.queues["support"] = map[string]any{"id": "support", "name": "Support"}
	fake.waiting["support"] = []any{map[string]any{"call": "w1", "since": time.Now().Add(-45 * time.Second).UTC().Format(time.RFC3339Nano)}}
	fake.stats = wallStats(0.5, 4, 3)
	fake.mu.Unlock()
	adminLogin(t, ctx, srv.URL+"/admin")

	sales := `document.querySelector('#wallboard .wall-queue[data-queue=sales]')`
	support := `document.querySelector('#wallboard .wall-queue[data-queue=support]')`
	wait(sales + `?.dataset.sl === '50'`)
	for sel, want := range map[string]string{
		sales + `.querySelector('.wall-sl .wall-value')`:                                          "50 %",
		sales + `.querySelector('.wall-abandoned .wall-value')`:                                   "2",
		sales + `.querySelector('.wall-answered .wall-value')`:                                    "4",
		sales + `.querySelector('.wall-avgwait .wall-value')`:                                     "15 s",
		`document.querySelector('#wallboard-totals .wall-total-abandoned .wall-value')`:           "2",
		`document.querySelector('#wallboard-totals .wall-total-offered .wall-value')`:             "12",
		`document.querySelector('#wallboard-totals .wall-total-held .wall-value')`:                "1",
		`document.querySelector('#wallboard-totals .wall-wrapup .wall-value')`:                    "1",
		`document.querySelector('#wallboard-activities .wall-activity[data-activity=available]')`: "3 available",
		`document.querySelector('#wallboard-activities .wall-activity[data-activity=break]')`:     "1 break",
	} {
		if got := strings.TrimSpace(webtest.Eval[string](t, ctx, sel+`?.textContent ?? 'missing'`)); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	// totals: (3 + 1) within of (4 + 2) + (1 + 0) = 4/7 = 57 %, under 80 %.
	if got := webtest.Eval[string](t, ctx, `document.querySelector('#wallboard-totals .wall-total-sl').dataset.sl + (document.querySelector('#wallboard-totals .wall-total-sl').classList.contains('wall-over') ? ' over' : '')`); got != "57 over" {
		t.Errorf("total service level %q, want 57 over", got)
	}
	// Thresholds: sales under 80 %, support waiting 45 s > its 30 s.
	wait(sales + `.dataset.breach === 'sl' && ` + support + `.dataset.breach === 'wait'`)
	if !webtest.Eval[bool](t, ctx, sales+`.classList.contains('wall-breach') && getComputedStyle(`+sales+`).borderTopWidth === '4px' && `+sales+`.querySelector('.wall-sl').classList.contains('wall-over')`) {
		t.Error("sales breach not highlighted")
	}
	if !webtest.Eval[bool](t, ctx, support+`.querySelector('.wall-longest').classList.contains('wall-over') && !`+support+`.querySelector('.wall-sl').classList.contains('wall-over')`) {
		t.Error("support: the longest wait, not the service level, should be highlighted")
	}

	// A floor event brings the new numbers: sales back above 80 %, the
	// support caller answered.
	fake.mu.Lock()
	fake.stats = wallStats(0.9, 9, 9)
	fake.waiting["support"] = []any{}
	fake.statsAt = nil
	fake.mu.Unlock()
	start := time.Now()
	for range 15 { // a burst of floor events, 100 ms apart
		fake.event(map[string]any{"type": "call.updated", "call": "x"})
		time.Sleep(100 * time.Millisecond)
	}
	wait(sales + `.dataset.sl === '90' && ` + sales + `.dataset.breach === '' && ` + support + `.dataset.breach === '' && !` + sales + `.classList.contains('wall-breach')`)
	// The burst lasted 1.5 s: at least two stats answers follow it (the
	// second at most 1 s after the first and after the last refresh).
	var at []time.Time
	deadline := time.Now().Add(3 * time.Second)
	for {
		fake.mu.Lock()
		at = append([]time.Time(nil), fake.statsAt...)
		fake.mu.Unlock()
		if len(at) >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(at) < 2 {
		t.Errorf("%d stats requests after a 1.5 s burst of events, want live updates", len(at))
	}
	if max := int(time.Since(start)/time.Second) + 2; len(at) > max {
		t.Errorf("%d stats requests in %v", len(at), time.Since(start))
	}
	for i := 1; i < len(at); i++ {
		if d := at[i].Sub(at[i-1]); d < 950*time.Millisecond {
			t.Errorf("stats requests %v apart, want >= 1 s", d)
		}
	}
}
