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
	n.OnState(func(s State) {
		got = append(got, s)
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
	n.Finish()
	n.Finish() // idempotent
	select {
	case <-n.Done():
	default:
		t.Fatal("Done not closed after Finish")
	}
}
