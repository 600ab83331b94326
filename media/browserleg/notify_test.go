package browserleg

import (
	"log/slog"
	"testing"
)

func TestNotifier(t *testing.T) {
	var n Notifier
	log := slog.New(slog.DiscardHandler)
	var c Counters
	n.Report(log, StateConnected, &c) // no callback yet: nothing to call
	var got []State
	var inside []bool
	n.OnState(func(s State) {
		got = append(got, s)
		inside = append(inside, n.InCallback())
	})
	select {
	case <-n.Done():
		t.Fatal("Done closed before Finish")
	default:
	}
	n.Report(log, StateDisconnected, &c)
	n.Report(log, StateClosed, &c)
	if len(got) != 2 || got[0] != StateDisconnected || got[1] != StateClosed {
		t.Fatalf("callback got %v, want [disconnected closed]", got)
	}
	if !inside[0] || !inside[1] || n.InCallback() {
		t.Fatalf("InCallback inside %v, after %v; want true, true, then false", inside, n.InCallback())
	}
	n.Finish()
	n.Finish() // idempotent
	select {
	case <-n.Done():
	default:
		t.Fatal("Done not closed after Finish")
	}
}
