package webrtclegtest

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

	"switchboard/media/browserleg"
)

// A browser farm: N test browsers in a child test process, so that a
// benchmark measures the gateway's legs alone. The child is the calling
// test binary re-run with only its TestBrowserFarm, which calls
// ServeBrowserFarm. Protocol on stdout/stdin, one line each: "OFFER
// <base64>" ×N out, "<base64 answer>" ×N in, "CONNECTED" out, then it
// holds the connections until stdin closes.

// ServeBrowserFarm is the body of a package's TestBrowserFarm: when the
// environment variable env holds N > 0, it runs N browsers; otherwise the
// test is skipped.
func ServeBrowserFarm(t *testing.T, env string) {
	n, _ := strconv.Atoi(os.Getenv(env))
	if n <= 0 {
		t.Skip("child process of BenchmarkIdleLegs only")
	}
	browsers := make([]*Browser, n)
	out := bufio.NewWriter(os.Stdout)
	for i := range browsers {
		browsers[i] = NewBrowserWith(t, Options{NoOpus: true, Bare: true})
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

// StartFarm starts a child process with n browsers, accepts each one's
// offer on e and waits until every leg is connected. The legs' read loops
// run (into a discarding sink). Cleanup closes the legs and the child.
func StartFarm(b *testing.B, env string, e Engine, n int) []Leg {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestBrowserFarm$", "-test.count=1")
	cmd.Env = append(os.Environ(), env+"="+strconv.Itoa(n))
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
	legs := make([]Leg, 0, n)
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
	WaitFor(b, "all legs connected", 30*time.Second, func() bool {
		for _, l := range legs {
			if l.Stats().State != browserleg.StateConnected {
				return false
			}
		}
		return true
	})
	return legs
}

// IdleCost is what connected, idle agent legs cost the gateway, per leg.
type IdleCost struct{ HeapKiB, RSSKiB, StackKiB, Goroutines, CPUPct, SetupMs float64 }

// BenchIdleLegs is the body of a package's BenchmarkIdleLegs: it measures
// N = 200 and 500 connected, idle legs of the engines newEngine returns
// (500 skipped with -short) over a 5 s idle window: heap and RSS per leg,
// goroutines per leg, CPU (ICE keepalives, consent checks) per leg as a
// share of one core, and connect time. The browsers run in a child
// process through env (see ServeBrowserFarm).
func BenchIdleLegs(b *testing.B, env string, newEngine func(b *testing.B) Engine) {
	for _, n := range []int{200, 500} {
		b.Run(fmt.Sprintf("legs=%d", n), func(b *testing.B) {
			if testing.Short() && n > 200 {
				b.Skip("-short")
			}
			for b.Loop() {
				m := MeasureIdle(b, env, newEngine(b), n, 5*time.Second)
				b.ReportMetric(m.HeapKiB, "heap-KiB/leg")
				b.ReportMetric(m.RSSKiB, "rss-KiB/leg")
				b.ReportMetric(m.StackKiB, "stack-KiB/leg")
				b.ReportMetric(m.Goroutines, "goroutines/leg")
				b.ReportMetric(m.CPUPct, "%cpu/leg")
				b.ReportMetric(m.SetupMs, "ms/connect")
			}
		})
	}
}

// MeasureIdle connects n farm browsers to e and measures their legs over
// an idle window.
func MeasureIdle(b *testing.B, env string, e Engine, n int, window time.Duration) IdleCost {
	b.Helper()
	heap0, rss0, st0, g0 := memNow()
	start := time.Now()
	legs := StartFarm(b, env, e, n)
	setup := time.Since(start)

	// Idle window: only ICE keepalives and consent checks flow.
	cpu0 := cpuTime()
	t0 := time.Now()
	<-time.After(window)
	cpu := cpuTime() - cpu0
	wall := time.Since(t0)
	for i, l := range legs {
		if st := l.Stats().State; st != browserleg.StateConnected {
			b.Fatalf("leg %d %v after the idle window", i, st)
		}
	}
	heap1, rss1, st1, g1 := memNow()
	return IdleCost{
		HeapKiB:    float64(heap1-heap0) / 1024 / float64(n),
		RSSKiB:     float64(rss1-rss0) / 1024 / float64(n),
		StackKiB:   float64(st1-st0) / 1024 / float64(n),
		Goroutines: float64(g1-g0) / float64(n),
		CPUPct:     100 * cpu.Seconds() / wall.Seconds() / float64(n),
		SetupMs:    float64(setup.Milliseconds()) / float64(n),
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
