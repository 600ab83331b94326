package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
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
	SwitchboardBin string   // path of cmd/switchboard's binary
	RTPEngineBin   string   // "" means /usr/bin/rtpengine
	Points         []int    // concurrent calls per point; nil means 200
	Runs           int      // runs per point; 0 means 2
	Shapes         []string // nil means ShapePaced
	Rate           float64  // new calls per second; 0 means 40
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
	Target string  `json:"target"`
	Shape  string  `json:"shape"`
	Calls  int     `json:"calls"`
	Run    int     `json:"run"`
	Error  string  `json:"error,omitempty"`
	Report *Report `json:"report,omitempty"`
	// IdleBusyPercent is the machine's busy share (all cores) in the last
	// second before the point started; IdleWaitSeconds how long it took.
	IdleBusyPercent float64 `json:"idle_busy_percent"`
	IdleWaitSeconds float64 `json:"idle_wait_seconds"`
}

// Comparison is the outcome of Compare.
type Comparison struct {
	Points []ComparePoint `json:"points"`
}

func (c *CompareConfig) defaults() {
	if c.RTPEngineBin == "" {
		c.RTPEngineBin = "/usr/bin/rtpengine"
	}
	if len(c.Points) == 0 {
		c.Points = []int{200}
	}
	if c.Runs <= 0 {
		c.Runs = 2
	}
	if len(c.Shapes) == 0 {
		c.Shapes = []string{ShapePaced}
	}
	if c.Rate <= 0 {
		c.Rate = 40
	}
	if c.Window <= 0 {
		c.Window = 20 * time.Second
	}
	if c.AcceptDelay <= 0 {
		c.AcceptDelay = 200 * time.Millisecond
	}
	if c.IdleBusyPercent <= 0 {
		c.IdleBusyPercent = 15
	}
	if c.IdleWait <= 0 {
		c.IdleWait = 2 * time.Minute
	}
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
	for _, bin := range []string{cfg.SwitchboardBin, cfg.RTPEngineBin} {
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("loadgen: %w", err)
		}
	}
	out := &Comparison{}
	for _, shape := range cfg.Shapes {
		for _, n := range cfg.Points {
			for run := 1; run <= cfg.Runs; run++ {
				order := []string{TargetSwitchboard, TargetRTPEngine}
				if run%2 == 0 {
					order[0], order[1] = order[1], order[0]
				}
				for _, target := range order {
					if ctx.Err() != nil {
						return out, ctx.Err()
					}
					pt := ComparePoint{Target: target, Shape: shape, Calls: n, Run: run}
					start := time.Now()
					pt.IdleBusyPercent = round(waitIdle(ctx, cfg.IdleBusyPercent, cfg.IdleWait))
					pt.IdleWaitSeconds = round(time.Since(start).Seconds())
					if cfg.Progress != nil {
						fmt.Fprintf(cfg.Progress, "compare: %s shape=%s calls=%d run=%d (machine %.0f%% busy before, waited %.0f s)\n",
							target, shape, n, run, pt.IdleBusyPercent, pt.IdleWaitSeconds)
					}
					pt.Report, pt.Error = comparePoint(ctx, cfg, target, shape, n)
					out.Points = append(out.Points, pt)
				}
			}
		}
	}
	return out, nil
}

// comparePoint starts target, runs one point against it and stops it.
func comparePoint(ctx context.Context, cfg CompareConfig, target, shape string, n int) (*Report, string) {
	ramp := time.Duration(math.Ceil(float64(n)/cfg.Rate*1000)) * time.Millisecond
	rc := Config{
		Target: target, Shape: shape, Calls: n, Rate: cfg.Rate, Duration: ramp, Hold: ramp + cfg.Window,
		AcceptDelay: cfg.AcceptDelay, Progress: cfg.Progress, Logger: cfg.Logger,
	}
	var p *targetProc
	var err error
	stderr := &limitedBuffer{max: 64 << 10}
	if target == TargetRTPEngine {
		p, err = startRTPEngine(ctx, cfg.RTPEngineBin, stderr)
		if err == nil {
			rc.RTPEngineNG, rc.GatewayPID = p.ng, p.pid
		}
	} else {
		p, err = startSwitchboard(ctx, cfg.SwitchboardBin, stderr)
		if err == nil {
			rc.GatewaySIP, rc.GatewayHTTP, rc.GatewayPID = p.sip, p.http, p.pid
			rc.AdminToken, rc.Seed, rc.Agents = compareToken, true, n
		}
	}
	if err != nil {
		return nil, fmt.Sprintf("start: %v; %s", err, stderr.tail())
	}
	defer p.stop()
	rep, err := Run(ctx, rc)
	if err != nil {
		return rep, err.Error()
	}
	return rep, ""
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
// last sample's busy percentage.
func waitIdle(ctx context.Context, maxBusy float64, wait time.Duration) float64 {
	deadline := time.Now().Add(wait)
	b0, t0, err := machineTicks()
	if err != nil {
		return -1
	}
	quiet, last := 0, 0.0
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for quiet < 3 && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return last
		case <-tick.C:
		}
		b1, t1, err := machineTicks()
		if err != nil || t1 == t0 {
			return -1
		}
		last = 100 * float64(b1-b0) / float64(t1-t0)
		b0, t0 = b1, t1
		if last <= maxBusy {
			quiet++
		} else {
			quiet = 0
		}
	}
	return last
}

// WriteTable prints one line per point and target, and the ratio
// Switchboard ÷ rtpengine of CPU and RSS per call per shape, point and run.
func (cmp *Comparison) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "%-11s %-11s %5s %3s %10s %9s %9s %9s %9s %9s %13s %11s %s\n",
		"target", "shape", "calls", "run", "ok/failed", "loss%", "cpu%/call", "us/pkt", "KiB/call", "gw cpu%", "a→audio p50/99", "busy before", "other load")
	type key struct {
		shape      string
		calls, run int
	}
	byKey := map[key]map[string]*Report{}
	for _, p := range cmp.Points {
		if p.Report == nil {
			fmt.Fprintf(w, "%-11s %-11s %5d %3d  error: %s\n", p.Target, p.Shape, p.Calls, p.Run, p.Error)
			continue
		}
		r := p.Report
		k := key{p.Shape, p.Calls, p.Run}
		if byKey[k] == nil {
			byKey[k] = map[string]*Report{}
		}
		byKey[k][p.Target] = r
		loss := max(r.CallerToAgent.LossPercent, r.AgentToCaller.LossPercent)
		fmt.Fprintf(w, "%-11s %-11s %5d %3d %10s %9.3f %9.3f %9.1f %9.0f %9.1f %6.1f/%6.1f %10.0f%% %9.1f%%%s\n",
			p.Target, p.Shape, p.Calls, p.Run, fmt.Sprintf("%d/%d", r.Succeeded, r.Failed), loss,
			r.Gateway.CPUPerCallPercent, r.Gateway.CPUPerPacketMicros, r.Gateway.RSSPerCallKiB, r.Gateway.CPUPercent,
			r.AcceptToAudioMs.P50, r.AcceptToAudioMs.P99, p.IdleBusyPercent, r.OtherCPUPercent, errNote(p.Error))
	}
	fmt.Fprintln(w, "ratio Switchboard ÷ rtpengine (same shape, point and run)")
	for _, p := range cmp.Points {
		k := key{p.Shape, p.Calls, p.Run}
		m := byKey[k]
		sb, re := m[TargetSwitchboard], m[TargetRTPEngine]
		if p.Target != TargetSwitchboard || sb == nil || re == nil {
			continue
		}
		fmt.Fprintf(w, "  %-11s %5d calls run %d: CPU per call %s, RSS per call %s\n", p.Shape, p.Calls, p.Run,
			ratio(sb.Gateway.CPUPerCallPercent, re.Gateway.CPUPerCallPercent), ratio(sb.Gateway.RSSPerCallKiB, re.Gateway.RSSPerCallKiB))
	}
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
