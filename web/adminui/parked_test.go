package adminui

import (
	"strings"
	"testing"
	"time"

	"switchboard/web/webtest"
)

// TestParkedInLiveView: the Floor section lists the state's parked calls
// (slot, caller, parker) and drops them when they leave their slot.
func TestParkedInLiveView(t *testing.T) {
	ctx, srv, fake := startConsole(t)
	wait := func(expr string) {
		t.Helper()
		webtest.WaitTrue(t, ctx, expr, 5*time.Second, `document.querySelector('#parked-panel')?.outerHTML`)
	}
	adminLogin(t, ctx, srv.URL+"/admin")
	wait(`!document.querySelector('#parked-panel .parked-none').hidden && document.querySelector('#parked-count').textContent === '(0)'`)

	fake.mu.Lock()
	fake.parked = []any{map[string]any{"slot": "701", "call": "c7", "by": "a1", "since": time.Now().Add(-5 * time.Second).UTC().Format("2006-01-02T15:04:05.000Z07:00"), "from": "+15550001"}}
	fake.mu.Unlock()
	fake.event(map[string]any{"type": "call.parked", "call": "c7", "agent": "a1"})
	wait(`document.querySelector('#parked-table tr[data-slot="701"]')?.dataset.call === 'c7'`)
	row := webtest.Eval[string](t, ctx, `document.querySelector('#parked-table tr[data-slot="701"]').innerText`)
	for _, want := range []string{"701", "+15550001", "a1", "00:0"} {
		if !strings.Contains(row, want) {
			t.Errorf("parked row %q lacks %q", row, want)
		}
	}
	if !webtest.Eval[bool](t, ctx, `document.querySelector('#parked-table').checkVisibility() && document.querySelector('#parked-count').textContent === '(1)'`) {
		t.Error("parked table not shown on the Floor with a count of 1")
	}

	fake.mu.Lock()
	fake.parked = nil
	fake.mu.Unlock()
	fake.event(map[string]any{"type": "call.unparked", "call": "c7"})
	wait(`!document.querySelector('#parked-table tr[data-slot="701"]') && !document.querySelector('#parked-panel .parked-none').hidden`)
}
