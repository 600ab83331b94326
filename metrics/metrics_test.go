package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"switchboard/internal/deptest"
	"switchboard/metrics"
)

func scrape(t *testing.T, url string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	return string(b)
}

func TestHandlerReadsSourceAtScrape(t *testing.T) {
	var forwarded atomic.Uint64
	src := metrics.SourceFunc(func() metrics.Snapshot {
		return metrics.Snapshot{
			AgentsByActivity: map[string]int{"available": 3, "break": 1},
			CallsByState:     map[string]int{"active": 2, "ringing": 1},
			WaitingByQueue:   map[string]int{"sales": 4, "support": 0},
			Reservations:     1,
			WSConnections:    map[string]int{"admin": 1, "agent": 4},
			Media: metrics.Media{FastPathPacketsForwarded: forwarded.Load(), FramesMixed: 500, FramesDropped: 7, LatePackets: 2,
				Other: map[string]float64{"jitter_overflows": 3}},
		}
	})
	srv := httptest.NewServer(metrics.Handler(src))
	defer srv.Close()
	forwarded.Store(1234)
	body := scrape(t, srv.URL)
	for _, want := range []string{
		`switchboard_agents{activity="available"} 3`,
		`switchboard_agents{activity="break"} 1`,
		`switchboard_agents{activity="offline"} 0`,
		`switchboard_agents{activity="unavailable"} 0`,
		`switchboard_calls{state="active"} 2`,
		`switchboard_calls{state="ringing"} 1`,
		`switchboard_calls{state="held"} 0`,
		`switchboard_queue_waiting_tasks{queue="sales"} 4`,
		`switchboard_queue_waiting_tasks{queue="support"} 0`,
		`switchboard_reservations 1`,
		`switchboard_ws_connections{kind="admin"} 1`,
		`switchboard_ws_connections{kind="agent"} 4`,
		`switchboard_media_fastpath_packets_forwarded_total 1234`,
		`switchboard_media_frames_mixed_total 500`,
		`switchboard_media_frames_dropped_total 7`,
		`switchboard_media_late_packets_total 2`,
		`switchboard_media_counter_total{name="jitter_overflows"} 3`,
		`# TYPE switchboard_media_frames_dropped_total counter`,
		`# TYPE switchboard_calls gauge`,
		`go_goroutines `,
	} {
		if !strings.Contains(body, want+"\n") && !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	// A second scrape sees the source's new value.
	forwarded.Store(5000)
	if body := scrape(t, srv.URL); !strings.Contains(body, "switchboard_media_fastpath_packets_forwarded_total 5000\n") {
		t.Error("second scrape did not re-read the source")
	}
}

func TestEmptySnapshot(t *testing.T) {
	srv := httptest.NewServer(metrics.Handler(metrics.SourceFunc(func() metrics.Snapshot { return metrics.Snapshot{} })))
	defer srv.Close()
	body := scrape(t, srv.URL)
	if !strings.Contains(body, `switchboard_agents{activity="available"} 0`) || !strings.Contains(body, "switchboard_reservations 0") {
		t.Errorf("empty snapshot scrape:\n%s", body)
	}
}

func TestDeps(t *testing.T) {
	deptest.Check(t, ".", map[string]string{
		"github.com/gorilla/websocket": "gorilla lives only in signaling/ws",
		"github.com/pion/...":          "metrics reads counters through Source",
		"github.com/emiago/sipgo/...":  "sipgo lives only in signaling/trunk",
		"switchboard/agent":            "the orchestrator plugs in through Source",
	})
}
