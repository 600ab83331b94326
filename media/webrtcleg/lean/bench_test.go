package lean_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"switchboard/media/webrtcleg"
	"switchboard/media/webrtcleg/lean"
	"switchboard/media/webrtcleg/webrtclegtest"
)

// farmEnv, when set to N in a child test process, makes TestBrowserFarm run
// N browsers for the idle-legs benchmark; otherwise it is skipped.
const farmEnv = "LEAN_BROWSER_FARM"

// TestBrowserFarm is the browser side of BenchmarkIdleLegs, run in a child
// process so that the parent measures the gateway's legs alone. Protocol on
// stdout/stdin, one line each: "OFFER <base64>" ×N out, "<base64 answer>"
// ×N in, "CONNECTED" out, then it holds the connections until stdin closes.
func TestBrowserFarm(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv(farmEnv))
	if n <= 0 {
		t.Skip("child process of BenchmarkIdleLegs only")
	}
	browsers := make([]*webrtclegtest.Browser, n)
	out := bufio.NewWriter(os.Stdout)
	for i := range browsers {
		browsers[i] = webrtclegtest.NewBrowserWith(t, webrtclegtest.Options{NoOpus: true, Bare: true})
		fmt.Fprintf(out, "OFFER %s\n", base64.StdEncoding.EncodeToString(browsers[i].Offer()))
	}
	if err := out.Flush(); err != nil {
		t.Fatal(err)
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64<<10), 64<<10)
	for _, b := range browsers {
		if !in.Scan() {
			t.Fatalf("answers: %v", in.Err())
		}
		answer, err := base64.StdEncoding.DecodeString(in.Text())
		if err != nil {
			t.Fatal(err)
		}
		b.SetAnswer(answer)
	}
	fmt.Println("CONNECTED")
	_, _ = io.Copy(io.Discard, os.Stdin) // hold until the parent is done
}

// BenchmarkIdleLegs measures what N connected, idle agent legs cost the
// gateway: heap and RSS per leg, goroutines per leg, and CPU (ICE
// keepalives and consent checks) per leg as a share of one core. The
// browsers run in a child process.
func BenchmarkIdleLegs(b *testing.B) {
	for _, n := range []int{200, 500} {
		b.Run(fmt.Sprintf("legs=%d", n), func(b *testing.B) {
			if testing.Short() && n > 200 {
				b.Skip("-short")
			}
			for b.Loop() {
				m := measureIdle(b, n, 5*time.Second)
				b.ReportMetric(m.heapKiB, "heap-KiB/leg")
				b.ReportMetric(m.rssKiB, "rss-KiB/leg")
				b.ReportMetric(m.stackKiB, "stack-KiB/leg")
				b.ReportMetric(m.goroutines, "goroutines/leg")
				b.ReportMetric(m.cpuPct, "%cpu/leg")
				b.ReportMetric(m.setupMs, "ms/connect")
			}
		})
	}
}

type idleCost struct{ heapKiB, rssKiB, stackKiB, goroutines, cpuPct, setupMs float64 }

// startFarm starts a child process with n browsers, accepts each one's
// offer on e and waits until every leg is connected. The legs' read loops
// run (into a discarding sink). Cleanup closes the legs and the child.
func startFarm(b *testing.B, e *lean.Engine, n int) []*lean.Leg {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestBrowserFarm$", "-test.count=1")
	cmd.Env = append(os.Environ(), farmEnv+"="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	legs := make([]*lean.Leg, 0, n)
	b.Cleanup(func() {
		for _, l := range legs {
			_ = l.Close()
		}
		_ = stdin.Close()
		_ = cmd.Wait()
		cancel()
	})
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 64<<10), 64<<10)
	// Read every offer before answering: the child writes them all before
	// it reads an answer, and both pipes are bounded.
	var offers [][]byte
	for len(offers) < n && lines.Scan() {
		offerB64, ok := strings.CutPrefix(lines.Text(), "OFFER ")
		if !ok {
			continue
		}
		offer, err := base64.StdEncoding.DecodeString(offerB64)
		if err != nil {
			b.Fatal(err)
		}
		offers = append(offers, offer)
	}
	if len(offers) < n {
		b.Fatalf("child sent %d offers, want %d (%v)", len(offers), n, lines.Err())
	}
	for _, offer := range offers {
		leg, answer, err := e.Accept(ctx, offer)
		if err != nil {
			b.Fatalf("Accept %d: %v", len(legs), err)
		}
		leg.Start(nil)
		legs = append(legs, leg)
		if _, err := fmt.Fprintln(stdin, base64.StdEncoding.EncodeToString(answer)); err != nil {
			b.Fatal(err)
		}
	}
	for lines.Scan() && lines.Text() != "CONNECTED" {
	}
	waitFor(b, "all legs connected", 30*time.Second, func() bool {
		for _, l := range legs {
			if l.Stats().State != webrtcleg.StateConnected {
				return false
			}
		}
		return true
	})
	return legs
}

func measureIdle(b *testing.B, n int, window time.Duration) idleCost {
	b.Helper()
	// The child connects its browsers one after another (≈ 0.2 s each, pion's
	// check pacing), so the last leg waits long after its Accept.
	e := newEngine(b, lean.Config{Logger: discardLogger(), ConnectTimeout: 5 * time.Minute})
	heap0, rss0, st0, g0 := memNow()
	start := time.Now()
	legs := startFarm(b, e, n)
	setup := time.Since(start)

	// Idle window: only ICE keepalives and consent checks flow.
	cpu0 := cpuTime()
	t0 := time.Now()
	<-time.After(window)
	cpu := cpuTime() - cpu0
	wall := time.Since(t0)
	for i, l := range legs {
		if st := l.Stats().State; st != webrtcleg.StateConnected {
			b.Fatalf("leg %d %v after the idle window", i, st)
		}
	}
	heap1, rss1, st1, g1 := memNow()
	return idleCost{
		heapKiB:    float64(heap1-heap0) / 1024 / float64(n),
		rssKiB:     float64(rss1-rss0) / 1024 / float64(n),
		stackKiB:   float64(st1-st0) / 1024 / float64(n),
		goroutines: float64(g1-g0) / float64(n),
		cpuPct:     100 * cpu.Seconds() / wall.Seconds() / float64(n),
		setupMs:    float64(setup.Milliseconds()) / float64(n),
	}
}

// memNow returns live heap bytes after a GC, RSS bytes, goroutine stack
// bytes and goroutines.
func memNow() (heap, rss, stack uint64, goroutines int) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	data, _ := os.ReadFile("/proc/self/status")
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			rss = kb * 1024
		}
	}
	return ms.HeapAlloc, rss, ms.StackInuse, runtime.NumGoroutine()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
