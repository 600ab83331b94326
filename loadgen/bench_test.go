package loadgen_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"switchboard/internal/porttest"
	"switchboard/internal/proctest"
	"switchboard/internal/repotest"
	"switchboard/loadgen"
)

// BenchmarkBridgedCalls builds cmd/switchboard, starts it as a child on
// loopback, and runs a small load (20 agents, 20 concurrent calls held
// 5 s) against it. It reports the gateway's CPU and memory per bridged
// call, setup and accept-to-audio p99 and audio loss. Run it with
// `go test -run '^$' -bench BridgedCalls ./loadgen/`.
func BenchmarkBridgedCalls(b *testing.B) {
	bin := repotest.Build(b, b.TempDir(), "./cmd/switchboard")
	sipPort, httpPort, rtcPort := porttest.Free(b, "udp"), porttest.Free(b, "tcp"), porttest.Free(b, "udp")
	rtpBase := 41000 + rand.IntN(80)*100
	const token = "bench-token"
	gw := exec.Command(bin,
		"-sip-addr", fmt.Sprintf("127.0.0.1:%d", sipPort), "-http-addr", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"-media-ip", "127.0.0.1", "-rtp-ports", fmt.Sprintf("%d-%d", rtpBase, rtpBase+98),
		"-webrtc-port", fmt.Sprint(rtcPort), "-data", b.TempDir(), "-admin-token", token, "-log-level", "error",
		"-sip-rate", "1000") // every call comes from one source address
	gw.Stderr = b.Output()
	if err := gw.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = gw.Wait(); close(exited) }()
	b.Cleanup(func() { proctest.Stop(gw.Process, syscall.SIGINT, exited, 10*time.Second) })
	httpURL := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	waitHealthy(b, httpURL, exited)

	cfg := loadgen.Config{
		GatewaySIP:  netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(sipPort)),
		GatewayHTTP: httpURL, AdminToken: token, GatewayPID: gw.Process.Pid, Seed: true,
		Agents: 20, Calls: 20, Rate: 20, Duration: 5 * time.Second, Hold: 5 * time.Second,
		AcceptDelay: 200 * time.Millisecond,
		Logger:      slog.New(slog.NewTextHandler(b.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	var rep *loadgen.Report
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		var err error
		rep, err = loadgen.Run(ctx, cfg)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		if rep.Failed > 0 {
			rep.WriteTable(b.Output())
			b.Fatalf("%d of %d calls failed: %v", rep.Failed, rep.Attempted, rep.Failures)
		}
	}
	if testing.Verbose() {
		rep.WriteTable(b.Output())
	}
	b.ReportMetric(rep.Gateway.CPUPerCallPercent, "cpu%/call")
	b.ReportMetric(rep.Gateway.RSSPerCallKiB, "KiB-RSS/call")
	b.ReportMetric(rep.SetupMs.P99, "setup-ms-p99")
	b.ReportMetric(rep.AcceptToAudioMs.P99, "accept-to-audio-ms-p99")
	b.ReportMetric(max(rep.CallerToAgent.LossPercent, rep.AgentToCaller.LossPercent), "loss%")
}

func waitHealthy(b *testing.B, url string, exited <-chan struct{}) {
	b.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-exited:
			b.Fatal("gateway exited before it became healthy")
		default:
		}
		if time.Now().After(deadline) {
			b.Fatal("gateway not healthy within 15 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
