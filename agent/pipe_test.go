package agent

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/media"
)

// refusingSink fails every packet, like a leg that has ended.
type refusingSink struct{ n chan struct{} }

func (s refusingSink) WritePacket(*media.Packet) error {
	s.n <- struct{}{}
	return errors.New("leg ended")
}

// TestPipeLogsRefusedPackets: the packets a pipe's sink refuses are not
// dropped silently: they are counted and logged, with the sink's error,
// when the pipe ends.
func TestPipeLogsRefusedPackets(t *testing.T) {
	var logs bytes.Buffer // slog.TextHandler serialises writes; read after wg.Wait
	var wg sync.WaitGroup
	done := make(chan struct{})
	a, b := newPipe(&wg, done, slog.New(slog.NewTextHandler(&logs, nil)))
	sink := refusingSink{n: make(chan struct{}, 1)}
	b.SetSink(sink)
	for range 3 {
		if err := a.WritePacket(&media.Packet{Payload: []byte{1, 2, 3}}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-sink.n:
		case <-time.After(5 * time.Second):
			t.Fatal("pipe did not deliver")
		}
	}
	close(done)
	wg.Wait()
	got := logs.String()
	if !strings.Contains(got, "refused_packets=3") || !strings.Contains(got, `err="leg ended"`) {
		t.Fatalf("log %q: want refused_packets=3 and the sink's error", got)
	}
	if strings.Count(got, "internal media pipe lost packets") != 1 {
		t.Fatalf("log %q: want one line, from the end that refused", got)
	}
}
