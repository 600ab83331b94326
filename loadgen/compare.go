package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// CompareConfig describes a side-by-side run (sbload -compare): for every
// shape, point (concurrent calls) and run, a fresh Switchboard and a fresh
// rtpengine are started and driven one after the other with the same
// load (the order alternates between runs), each after the machine was
// idle.
type CompareConfig struct {
	SwitchboardBin string // path of cmd/switchboard's binary
	RTPEngineBin   string // "" means /usr/bin/rtpengine
	// Targets are the systems driven at every point, each a fresh
	// process: TargetSwitchboard, CompareSwitchboardRecord (Switchboard
	// recording every call) or TargetRTPEngine. The ratio rows divide each
	// target's figures by the last one's (the reference). nil means
	// {TargetSwitchboard, TargetRTPEngine}.
	Targets []string
	Points  []int    // concurrent calls per point; nil means 200
	Runs    int      // runs per point; 0 means 2
	Shapes  []string // nil means ShapePaced
	// AgentClient is Config.AgentClient for every target ("" means lean).
	AgentClient string
	// Loops is Config.Loops for every target (0: GOMAXPROCS, at most 4).
	Loops int
	Rate  float64 // new calls per second; 0 means 40
	// Window is the steady window to aim for: every call is held for
	// the ramp (Points/Rate) plus Window. 0 means 20 s.
	Window      time.Duration
	AcceptDelay time.Duration // Switchboard agents' accept delay; 0 means 200 ms
	// IdleBusyPercent and IdleWait: before each point, wait until the
	// whole machine (all cores, /proc/stat) was at most IdleBusyPercent
	// busy for 3 s in a row, or at most IdleWait (then go on; the report
	// keeps the figure). 0 means 15 % and 2 min.
	IdleBusyPercent float64
	IdleWait        time.Duration
	Progress        io.Writer // progress lines; nil means none
	Logger          *slog.Logger
}

// ComparePoint is one measured point of one target.
type ComparePoint struct {
	Target string  `json:"target"` // one of CompareConfig.Targets
	Shape  string  `json:"shape"`
	Calls  int     `json:"calls"`
	Run    int     `json:"run"`
	Error  string  `json:"error,omitempty"`
	Report *Report `json:"report,omitempty"`
	// IdleBusyPercent is the machine's busy share (all cores) in the last
	// second before the point started; IdleWaitSeconds how long it took.
	// NotIdle is true when the machine was still busier than
	// CompareConfig.IdleBusyPercent after IdleWait: the point ran anyway.
	IdleBusyPercent float64 `json:"idle_busy_percent"`
	IdleWaitSeconds float64 `json:"idle_wait_seconds"`
	NotIdle         bool    `json:"not_idle,omitempty"`
	// LoadAvg is /proc/loadavg's 1-minute figure when the point started.
	LoadAvg float64 `json:"load_avg"`
	// Recordings and RecordedMiB: the WAV files in the gateway's
	// recordings directory after the run (CompareSwitchboardRecord).
	Recordings  int     `json:"recordings,omitempty"`
	RecordedMiB float64 `json:"recorded_mib,omitempty"`
}

// CompareSwitchboardRecord is a -compare target: Switchboard with its
// queue seeded record: true, so every call is recorded (issue 16's
// recording overhead, beside TargetSwitchboard in the same run).
const CompareSwitchboardRecord = "switchboard-record"

// Comparison is the outcome of Compare.
type Comparison struct {
	Targets []string       `json:"targets"` // CompareConfig.Targets; the last is the ratios' reference
	Points  []ComparePoint `json:"points"`
}

func (c *CompareConfig) defaults() {
	orDefault(&c.RTPEngineBin, "/usr/bin/rtpengine")
	if len(c.Targets) == 0 {
		c.Targets = []string{TargetSwitchboard, TargetRTPEngine}
	}
	if len(c.Points) == 0 {
		c.Points = []int{200}
	}
	if len(c.Shapes) == 0 {
		c.Shapes = []string{ShapePaced}
	}
	orDefault(&c.Runs, 2)
	orDefault(&c.Rate, 40)
	orDefault(&c.Window, 20*time.Second)
	orDefault(&c.AcceptDelay, 200*time.Millisecond)
	orDefault(&c.IdleBusyPercent, 15)
	orDefault(&c.IdleWait, 2*time.Minute)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Compare runs every point against both targets and returns all reports.
func Compare(ctx context.Context, cfg CompareConfig) (*Comparison, error) {
	cfg.defaults()
	if cfg.SwitchboardBin == "" {
		return nil, fmt.Errorf("loadgen: -compare needs the switchboard binary (-switchboard-bin)")
	}
	bins := map[string]bool{}
	for _, t := range cfg.Targets {
		switch t {
		case TargetSwitchboard, CompareSwitchboardRecord:
			bins[cfg.SwitchboardBin] = true
		case TargetRTPEngine:
			bins[cfg.RTPEngineBin] = true
		default:
			return nil, fmt.Errorf("loadgen: unknown -compare target %q (%s, %s or %s)", t, TargetSwitchboard, CompareSwitchboardRecord, TargetRTPEngine)
		}
	}
	if len(cfg.Targets) < 2 {
		return nil, fmt.Errorf("loadgen: -compare needs at least two targets, got %q", cfg.Targets)
	}
	for bin := range bins {
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("loadgen: %w", err)
		}
	}
	out := &Comparison{Targets: cfg.Targets}
	for _, shape := range cfg.Shapes {
		for _, n := range cfg.Points {
			for run := 1; run <= cfg.Runs; run++ {
				for _, target := range runOrder(cfg.Targets, run) {
					if ctx.Err() != nil {
						return out, ctx.Err()
					}
					pt := ComparePoint{Target: target, Shape: shape, Calls: n, Run: run}
					start := time.Now()
					busy, idle := waitIdle(ctx, cfg.IdleBusyPercent, cfg.IdleWait)
					pt.IdleBusyPercent, pt.NotIdle = round(busy), !idle
					pt.IdleWaitSeconds = round(time.Since(start).Seconds())
					pt.LoadAvg = loadAvg()
					if cfg.Progress != nil {
						fmt.Fprintf(cfg.Progress, "compare: %s shape=%s calls=%d run=%d (machine %.0f%% busy before%s, load %.2f, waited %.0f s)\n",
							target, shape, n, run, pt.IdleBusyPercent, notIdleNote(pt.NotIdle), pt.LoadAvg, pt.IdleWaitSeconds)
					}
					comparePoint(ctx, cfg, &pt)
					out.Points = append(out.Points, pt)
				}
			}
		}
	}
	return out, nil
}

// runOrder is the order of targets in run (1-based): rotated by one per
// run, so with two targets the order alternates.
func runOrder(targets []string, run int) []string {
	k := (run - 1) % len(targets)
	return append(append([]string(nil), targets[k:]...), targets[:k]...)
}

func notIdleNote(notIdle bool) string {
	if notIdle {
		return ", NOT idle"
	}
	return ""
}

// loadAvg is the 1-minute load average (/proc/loadavg), -1 if unknown.
func loadAvg() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}

// comparePoint starts pt's target, runs one point against it and stops it.
func comparePoint(ctx context.Context, cfg CompareConfig, pt *ComparePoint) {
	n := pt.Calls
	ramp := time.Duration(math.Ceil(float64(n)/cfg.Rate*1000)) * time.Millisecond
	rc := Config{
		Target: pt.Target, Shape: pt.Shape, AgentClient: cfg.AgentClient, Loops: cfg.Loops, Calls: n, Rate: cfg.Rate, Duration: ramp, Hold: ramp + cfg.Window,
		AcceptDelay: cfg.AcceptDelay, Progress: cfg.Progress, Logger: cfg.Logger,
	}
	p, err := startTarget(ctx, cfg, pt.Target)
	if err != nil {
		pt.Error = "start: " + err.Error()
		return
	}
	if pt.Target == TargetRTPEngine {
		rc.RTPEngineNG, rc.GatewayPID = p.ng, p.pid
	} else {
		rc.Target = TargetSwitchboard
		rc.GatewaySIP, rc.GatewayHTTP, rc.GatewayPID = p.sip, p.http, p.pid
		rc.AdminToken, rc.Seed, rc.Agents = compareToken, true, n
		rc.Record = pt.Target == CompareSwitchboardRecord
	}
	defer p.stop()
	pt.Report, err = Run(ctx, rc)
	if err != nil {
		pt.Error = err.Error()
	}
	if rc.Record {
		pt.Recordings, pt.RecordedMiB = countWAV(filepath.Join(p.dir, "recordings"))
	}
}

// startTarget starts a fresh target for one point. A port picked free
// can be taken by another process before the target binds it: a start
// that fails on "address already in use" is tried again, up to 3 times.
func startTarget(ctx context.Context, cfg CompareConfig, target string) (*targetProc, error) {
	for try := 1; ; try++ {
		stderr := &limitedBuffer{max: 64 << 10}
		var p *targetProc
		var err error
		if target == TargetRTPEngine {
			p, err = startRTPEngine(ctx, cfg.RTPEngineBin, stderr)
		} else {
			p, err = startSwitchboard(ctx, cfg.SwitchboardBin, stderr)
		}
		if err == nil {
			return p, nil
		}
		if try == 3 || !strings.Contains(stderr.tail(), "address already in use") {
			return nil, fmt.Errorf("%v; %s", err, stderr.tail())
		}
	}
}

// countWAV counts the .wav files in dir and their size in MiB.
func countWAV(dir string) (int, float64) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0
	}
	n, size := 0, int64(0)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && strings.HasSuffix(e.Name(), ".wav") {
			n++
			size += info.Size()
		}
	}
	return n, round(float64(size) / (1 << 20))
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	max int
	b   bytes.Buffer
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (l *limitedBuffer) tail() string {
	s := l.b.String()
	return s[max(0, len(s)-500):]
}

// machineTicks reads the aggregate cpu line of /proc/stat: busy and total
// ticks over all cores.
func machineTicks() (busy, total int64, err error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("/proc/stat: unexpected %q", line)
	}
	for i, s := range f[1:] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, 0, err
		}
		if i >= 8 { // guest times are already in user and nice
			break
		}
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total, nil
}

// waitIdle waits until the machine was at most maxBusy % busy (all cores)
// for 3 one-second samples in a row, or for at most wait; it returns the
// last sample's busy percentage and whether the machine was idle.
func waitIdle(ctx context.Context, maxBusy float64, wait time.Duration) (float64, bool) {
	deadline := time.Now().Add(wait)
	b0, t0, err := machineTicks()
	if err != nil {
		return -1, false
	}
	quiet, last := 0, 0.0
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for quiet < 3 && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return last, false
		case <-tick.C:
		}
		b1, t1, err := machineTicks()
		if err != nil || t1 == t0 {
			return -1, false
		}
		last = 100 * float64(b1-b0) / float64(t1-t0)
		b0, t0 = b1, t1
		if last <= maxBusy {
			quiet++
		} else {
			quiet = 0
		}
	}
	return last, quiet >= 3
}

// WriteTable prints one line per point and target, and the ratios of CPU
// and RSS per call of every target to the reference target (the last of
// Targets: rtpengine by default) per shape, point and run.
func (cmp *Comparison) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "%-18s %-11s %5s %3s %10s %9s %9s %9s %9s %9s %9s %9s %13s %8s %10s %11s %5s %s\n",
		"target", "shape", "calls", "run", "ok/failed", "loss%", "cpu%/call", "us/pkt", "dlv/call", "us/dlv", "KiB/call", "gw cpu%", "a→audio p50/99", "gen cpu%", "gen us/dlv", "busy before", "load", "other load")
	type key struct {
		shape      string
		calls, run int
	}
	byKey := map[key]map[string]*Report{}
	for _, p := range cmp.Points {
		if p.Report == nil {
			fmt.Fprintf(w, "%-18s %-11s %5d %3d  error: %s\n", p.Target, p.Shape, p.Calls, p.Run, p.Error)
			continue
		}
		r := p.Report
		k := key{p.Shape, p.Calls, p.Run}
		if byKey[k] == nil {
			byKey[k] = map[string]*Report{}
		}
		byKey[k][p.Target] = r
		loss := max(r.CallerToAgent.LossPercent, r.AgentToCaller.LossPercent)
		busy := fmt.Sprintf("%.0f%%", p.IdleBusyPercent)
		if p.NotIdle {
			busy += " (!)"
		}
		fmt.Fprintf(w, "%-18s %-11s %5d %3d %10s %9.3f %9.3f %9.1f %9.1f %9.1f %9.0f %9.1f %6.1f/%6.1f %8.1f %10.1f %11s %5.2f %9.1f%%%s\n",
			p.Target, p.Shape, p.Calls, p.Run, fmt.Sprintf("%d/%d", r.Succeeded, r.Failed), loss,
			r.Gateway.CPUPerCallPercent, r.Gateway.CPUPerPacketMicros, r.Gateway.DeliveredPPS/max(r.Gateway.SteadyCalls, 1),
			r.Gateway.CPUPerDeliveredMicros, r.Gateway.RSSPerCallKiB, r.Gateway.CPUPercent,
			r.AcceptToAudioMs.P50, r.AcceptToAudioMs.P99, r.GeneratorCPUPercent, r.GeneratorCPUPerDeliveredMicros,
			busy, p.LoadAvg, r.OtherCPUPercent, recNote(p)+errNote(p.Error))
	}
	if len(cmp.Targets) < 2 {
		return
	}
	ref := cmp.Targets[len(cmp.Targets)-1]
	fmt.Fprintln(w, "(!) = the machine was not idle within -idle-wait; the point ran anyway. dlv/call: RTP packets/s the generator received per call (100 when it sends every frame on time); us/dlv: target CPU per packet delivered; gen us/dlv: the generator's")
	for _, target := range cmp.Targets[:len(cmp.Targets)-1] {
		fmt.Fprintf(w, "ratio %s ÷ %s (same shape, point and run)\n", target, ref)
		for _, p := range cmp.Points {
			k := key{p.Shape, p.Calls, p.Run}
			a, b := byKey[k][target], byKey[k][ref]
			if p.Target != target || a == nil || b == nil {
				continue
			}
			fmt.Fprintf(w, "  %-11s %5d calls run %d: CPU per call %s, per packet delivered %s, RSS per call %s\n", p.Shape, p.Calls, p.Run,
				ratio(a.Gateway.CPUPerCallPercent, b.Gateway.CPUPerCallPercent), ratio(a.Gateway.CPUPerDeliveredMicros, b.Gateway.CPUPerDeliveredMicros),
				ratio(a.Gateway.RSSPerCallKiB, b.Gateway.RSSPerCallKiB))
		}
	}
}

func recNote(p ComparePoint) string {
	if p.Target != CompareSwitchboardRecord {
		return ""
	}
	return fmt.Sprintf("  (%d recordings, %.1f MiB)", p.Recordings, p.RecordedMiB)
}

func errNote(e string) string {
	if e == "" {
		return ""
	}
	return "  (" + e + ")"
}

func ratio(a, b float64) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", a/b)
}
