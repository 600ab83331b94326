package loadgen

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"time"
)

// Percentiles summarises a set of values (milliseconds unless named).
type Percentiles struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func percentiles(v []float64) Percentiles {
	if len(v) == 0 {
		return Percentiles{}
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	at := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(s)))) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return Percentiles{N: len(s), P50: round(at(0.50)), P99: round(at(0.99)), Max: round(s[len(s)-1])}
}

func round(x float64) float64 { return math.Round(x*1000) / 1000 }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Direction holds the audio figures of one direction over all bridged calls.
type Direction struct {
	Packets     int     `json:"packets"`      // RTP packets received after the bridge
	Lost        int     `json:"lost"`         // sequence gaps
	LossPercent float64 `json:"loss_percent"` // lost / (packets + lost)
	Resyncs     int     `json:"resyncs"`      // sequence jumps ≥ 500 (new stream), not counted as loss
	// JitterMs is each call's RFC 3550 interarrival jitter at its end.
	JitterMs Percentiles `json:"jitter_ms"`
	// LatencyMs is the probe one-way delay through gateway and generator.
	LatencyMs Percentiles `json:"latency_ms"`
	// AddedLatencyMs is LatencyMs minus the loopback baseline (p50 − p50,
	// p99 − p99, max − max), clamped at 0.
	AddedLatencyMs Percentiles `json:"added_latency_ms"`
}

// GatewayFigures are read from /proc/<pid> of the gateway.
type GatewayFigures struct {
	PID int `json:"pid"`
	// SteadySeconds is the span of the steady window: the seconds in which
	// every one of the target calls was bridged (or, if that never held,
	// at least 90% of the peak).
	SteadySeconds float64 `json:"steady_seconds"`
	// SteadyCalls is the mean number of bridged calls in that window.
	SteadyCalls float64 `json:"steady_calls"`
	// CPUPercent is utime+stime over the window, in % of one core.
	CPUPercent float64 `json:"cpu_percent"`
	// CPUPerCallPercent is CPUPercent / SteadyCalls.
	CPUPerCallPercent float64 `json:"cpu_per_call_percent"`
	// CPUPerPacketMicros is CPU time per forwarded packet (4 packets per
	// call per 20 ms: in and out on each leg count as 2 forwarded).
	CPUPerPacketMicros float64 `json:"cpu_per_forwarded_packet_us"`
	// DeliveredPPS is the RTP packets per second the generator received
	// from the target in the window (callers and agents): 100 per call
	// when every party sends on time; less when the generator itself,
	// starved on a busy machine, sends late and skips frames.
	DeliveredPPS float64 `json:"delivered_pps"`
	// CPUPerDeliveredMicros is CPU time per packet delivered: the
	// figure to compare between targets measured one after the other on
	// a machine whose load changes (it does not count the frames the
	// generator failed to send as work the target was spared).
	CPUPerDeliveredMicros float64 `json:"cpu_per_delivered_packet_us"`
	RSSIdleKiB            int64   `json:"rss_idle_kib"`   // before the agents logged in
	RSSAgentsKiB          int64   `json:"rss_agents_kib"` // agents logged in, no calls
	RSSSteadyKiB          int64   `json:"rss_steady_kib"` // peak in the steady window
	// RSSPerCallKiB is (RSSSteady − RSSIdle) / SteadyCalls: a call here
	// includes its agent's PeerConnection.
	RSSPerCallKiB float64 `json:"rss_per_call_kib"`
}

// PlacingFigures describe the window in which new calls were placed.
type PlacingFigures struct {
	Seconds float64 `json:"seconds"`
	Placed  int64   `json:"placed"` // calls placed in the window
	// CallsPerSecond is Placed / Seconds; MinPerSecond and MaxPerSecond
	// are over the whole one-second samples inside the window.
	CallsPerSecond float64 `json:"calls_per_second"`
	MinPerSecond   float64 `json:"min_per_second"`
	MaxPerSecond   float64 `json:"max_per_second"`
	// GatewayCPUPercent is the gateway's CPU over those samples (% of one
	// core); GatewayCPUMsPerCall divides it by the calls placed in them, so
	// it includes the media of calls in progress.
	GatewayCPUPercent   float64 `json:"gateway_cpu_percent"`
	GatewayCPUMsPerCall float64 `json:"gateway_cpu_ms_per_call"`
	GatewayRSSPeakKiB   int64   `json:"gateway_rss_peak_kib"`
}

// placing computes rep.Placing from the per-second samples.
func (rep *Report) placing(samples []sample, start, end time.Time) {
	p := &rep.Placing
	if !end.After(start) {
		return
	}
	p.Seconds = round(end.Sub(start).Seconds())
	var secs, placed, ticks float64
	for i := 1; i < len(samples); i++ {
		a, b := samples[i-1], samples[i]
		if a.At.Before(start) || b.At.After(end) {
			continue
		}
		d := b.At.Sub(a.At).Seconds()
		n := float64(b.Placed - a.Placed)
		rate := n / d
		if secs == 0 || rate < p.MinPerSecond {
			p.MinPerSecond = round(rate)
		}
		p.MaxPerSecond = round(max(p.MaxPerSecond, rate))
		secs += d
		placed += n
		ticks += float64(b.Gateway.Ticks - a.Gateway.Ticks)
		p.GatewayRSSPeakKiB = max(p.GatewayRSSPeakKiB, b.Gateway.RSSKiB)
	}
	p.Placed = int64(rep.Attempted)
	if p.Seconds > 0 { // a run cancelled at once: no window (+Inf would fail the JSON)
		p.CallsPerSecond = round(float64(p.Placed) / p.Seconds)
	}
	if secs > 0 && rep.Gateway.PID != 0 {
		p.GatewayCPUPercent = round(ticks / clockTicks / secs * 100)
		if placed > 0 {
			p.GatewayCPUMsPerCall = round(ticks / clockTicks * 1000 / placed)
		}
	}
}

// Report is the outcome of a Run.
type Report struct {
	Config         map[string]any `json:"config"`
	AgentsLoggedIn int            `json:"agents_logged_in"`
	LoginSeconds   float64        `json:"login_seconds"`
	LoginError     string         `json:"login_error,omitempty"`
	RunSeconds     float64        `json:"run_seconds"`

	Attempted int            `json:"attempted"`
	Answered  int            `json:"answered"` // 200 OK to the INVITE
	Bridged   int            `json:"bridged"`  // the caller heard its agent
	Succeeded int            `json:"succeeded"`
	Failed    int            `json:"failed"`
	Failures  map[string]int `json:"failures"` // reason → count
	// UnknownOffers counts offers for calls this run did not place.
	UnknownOffers int `json:"unknown_offers"`
	// PeakBridged is the most calls bridged at once.
	PeakBridged int64 `json:"peak_bridged"`

	SetupMs         Percentiles `json:"setup_ms"`           // INVITE → 200 OK
	AcceptToAudioMs Percentiles `json:"accept_to_audio_ms"` // reservation.accept sent → caller hears the agent
	// The parts of AcceptToAudioMs: AcceptRPCMs is reservation.accept
	// sent → its result received (gateway + websocket round trip);
	// AcceptToFrameMs is accept sent → the agent wrote the first frame
	// the caller heard (gateway switching plus the wait for the agent's
	// next 20 ms frame); FrameTransitMs is that frame's send → heard.
	AcceptRPCMs     Percentiles `json:"accept_rpc_ms"`
	AcceptToFrameMs Percentiles `json:"accept_to_frame_ms"`
	FrameTransitMs  Percentiles `json:"first_frame_transit_ms"`
	CallerToAgent   Direction   `json:"caller_to_agent"`
	AgentToCaller   Direction   `json:"agent_to_caller"`
	// BaselineLatencyMs is the probe delay between two plain sockets of
	// the generator, without the gateway.
	BaselineLatencyMs Percentiles `json:"baseline_latency_ms"`

	Gateway GatewayFigures `json:"gateway"`
	// Placing covers the window in which calls were placed: the figures
	// for short-call (setup rate) runs, where no steady window exists.
	Placing PlacingFigures `json:"placing"`
	// Mixing is set with Config.Merge: the merged calls' figures.
	Mixing *MixingFigures `json:"mixing,omitempty"`
	// GeneratorCPUPercent is this process's CPU over the steady window.
	GeneratorCPUPercent float64 `json:"generator_cpu_percent"`
	// GeneratorCPUPerDeliveredMicros is this process's CPU time per RTP
	// packet the target delivered over the steady window (each one a frame
	// a party sent and one it received): the generator's cost that does
	// not depend on how many packets a starved machine let through.
	GeneratorCPUPerDeliveredMicros float64 `json:"generator_cpu_per_delivered_packet_us"`
	// OtherCPUPercent is what the rest of the machine used over the
	// steady window (all cores busy minus gateway and generator), in % of
	// one core: other programs sharing the machine.
	OtherCPUPercent float64 `json:"other_cpu_percent"`
}

func summary(c Config) map[string]any {
	return map[string]any{
		"target": c.Target, "shape": c.Shape, "rtpengine_ng": c.RTPEngineNG.String(),
		"gateway_sip": c.GatewaySIP.String(), "gateway_http": c.GatewayHTTP, "agents": c.Agents,
		"calls": c.Calls, "rate": c.Rate, "duration": c.Duration.String(), "hold": c.Hold.String(),
		"accept_delay": c.AcceptDelay.String(), "number": c.Number, "seed": c.Seed, "merge": c.Merge,
	}
}

func (rep *Report) build(results []callResult, samples []sample, base rxResult, cfg Config) {
	var setup, toAudio, rpc, toFrame, transit []float64
	var c2a, a2c dirAcc
	var mix mixAcc
	for _, r := range results {
		rep.Attempted++
		if r.Grouped && r.Slot == 0 {
			mix.f.Groups++
			if r.Merged {
				mix.f.Merged++
				mix.rpc = append(mix.rpc, ms(r.MergeRPC))
			}
			mix.add(r.AgentMix, true)
		}
		mix.add(r.Mix, false)
		if r.Answered {
			rep.Answered++
			setup = append(setup, ms(r.Setup))
		}
		if r.Bridged {
			rep.Bridged++
			toAudio = append(toAudio, ms(r.ToAudio))
			if cr := r.Caller; !cr.AcceptOK.IsZero() {
				rpc = append(rpc, ms(cr.AcceptOK.Sub(cr.AcceptAt)))
			}
			if cr := r.Caller; !cr.FirstSent.IsZero() && !cr.AcceptAt.IsZero() {
				toFrame = append(toFrame, ms(cr.FirstSent.Sub(cr.AcceptAt)))
				transit = append(transit, ms(cr.FirstHeard.Sub(cr.FirstSent)))
			}
			c2a.add(r.Agent)
			a2c.add(r.Caller)
		}
		if r.Failure == "" {
			rep.Succeeded++
		} else {
			rep.Failed++
			rep.Failures[r.Failure]++
		}
	}
	rep.SetupMs = percentiles(setup)
	rep.AcceptToAudioMs = percentiles(toAudio)
	rep.AcceptRPCMs = percentiles(rpc)
	rep.AcceptToFrameMs = percentiles(toFrame)
	rep.FrameTransitMs = percentiles(transit)
	var bl []float64
	for _, d := range base.Latency {
		bl = append(bl, ms(d))
	}
	rep.BaselineLatencyMs = percentiles(bl)
	rep.CallerToAgent = c2a.result(rep.BaselineLatencyMs)
	rep.AgentToCaller = a2c.result(rep.BaselineLatencyMs)
	if cfg.Merge {
		rep.Mixing = mix.result(rep.BaselineLatencyMs)
	}
	rep.steady(samples, cfg.Calls, cfg.Merge)
}

// steady computes the gateway figures over the steady window: the seconds
// in which every target call was bridged (merged, with merge).
func (rep *Report) steady(samples []sample, target int, merge bool) {
	count := func(s sample) int64 {
		if merge {
			return s.Merged
		}
		return s.Bridged
	}
	var peak int64
	for _, s := range samples {
		rep.PeakBridged = max(rep.PeakBridged, s.Bridged)
		peak = max(peak, count(s))
	}
	threshold := int64(target)
	if peak < threshold {
		threshold = int64(math.Ceil(0.9 * float64(peak)))
	}
	if threshold == 0 {
		return
	}
	var secs, calls, gwTicks, selfTicks, otherTicks, delivered float64
	var rss int64
	for i := 1; i < len(samples); i++ {
		a, b := samples[i-1], samples[i]
		if count(a) < threshold || count(b) < threshold {
			continue
		}
		d := b.At.Sub(a.At).Seconds()
		secs += d
		calls += float64(count(a)+count(b)) / 2 * d
		gwTicks += float64(b.Gateway.Ticks - a.Gateway.Ticks)
		delivered += float64(b.Delivered - a.Delivered)
		selfTicks += float64(b.Self.Ticks - a.Self.Ticks)
		otherTicks += float64(b.Machine-a.Machine) - float64(b.Self.Ticks-a.Self.Ticks) - float64(b.Gateway.Ticks-a.Gateway.Ticks)
		rss = max(rss, b.Gateway.RSSKiB)
	}
	if secs == 0 {
		return
	}
	g := &rep.Gateway
	g.SteadySeconds = round(secs)
	g.SteadyCalls = round(calls / secs)
	g.DeliveredPPS = round(delivered / secs)
	rep.GeneratorCPUPercent = round(selfTicks / clockTicks / secs * 100)
	rep.OtherCPUPercent = round(max(0, otherTicks) / clockTicks / secs * 100)
	if delivered > 0 {
		rep.GeneratorCPUPerDeliveredMicros = round(selfTicks / clockTicks * 1e6 / delivered)
	}
	if g.PID == 0 {
		return
	}
	g.CPUPercent = round(gwTicks / clockTicks / secs * 100)
	g.CPUPerCallPercent = round(g.CPUPercent / g.SteadyCalls)
	// 50 packets/s in each direction, each received and sent once.
	g.CPUPerPacketMicros = round(g.CPUPercent / 100 * 1e6 / (g.SteadyCalls * 100))
	if delivered > 0 {
		g.CPUPerDeliveredMicros = round(gwTicks / clockTicks * 1e6 / delivered)
	}
	g.RSSSteadyKiB = rss
	base := g.RSSIdleKiB
	if base == 0 {
		base = g.RSSAgentsKiB
	}
	g.RSSPerCallKiB = round(float64(rss-base) / g.SteadyCalls)
}

type dirAcc struct {
	d       Direction
	jitter  []float64
	latency []float64
}

func (a *dirAcc) add(r rxResult) {
	a.d.Packets += r.Packets
	a.d.Lost += r.Lost
	a.d.Resyncs += r.Resyncs
	a.jitter = append(a.jitter, r.JitterMs)
	for _, l := range r.Latency {
		a.latency = append(a.latency, ms(l))
	}
}

func (a *dirAcc) result(base Percentiles) Direction {
	d := a.d
	if d.Packets+d.Lost > 0 {
		d.LossPercent = round(100 * float64(d.Lost) / float64(d.Packets+d.Lost))
	}
	d.JitterMs = percentiles(a.jitter)
	d.LatencyMs = percentiles(a.latency)
	if d.LatencyMs.N > 0 {
		// Clamped at 0: with a noisy baseline a difference can come out negative.
		d.AddedLatencyMs = Percentiles{N: d.LatencyMs.N, P50: round(max(0, d.LatencyMs.P50-base.P50)),
			P99: round(max(0, d.LatencyMs.P99-base.P99)), Max: round(max(0, d.LatencyMs.Max-base.Max))}
	}
	return d
}

// WriteTable prints the report as a human table.
func (rep *Report) WriteTable(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	pc := func(name string, x Percentiles) {
		p("  %-28s p50 %8.2f  p99 %8.2f  max %8.2f  (n=%d)", name, x.P50, x.P99, x.Max, x.N)
	}
	p("agents logged in       %d (%.1f s)", rep.AgentsLoggedIn, rep.LoginSeconds)
	p("calls attempted        %d in %.1f s (%.1f calls/s)", rep.Attempted, rep.RunSeconds, float64(rep.Attempted)/max(rep.RunSeconds, 1e-9))
	p("  answered (200 OK)    %d", rep.Answered)
	p("  bridged              %d (peak %d at once)", rep.Bridged, rep.PeakBridged)
	p("  verified both ways   %d", rep.Succeeded)
	p("  failed               %d", rep.Failed)
	for _, k := range slices.Sorted(maps.Keys(rep.Failures)) {
		p("    %5d  %s", rep.Failures[k], k)
	}
	p("times (ms)")
	pc("SIP setup INVITE→200", rep.SetupMs)
	pc("accept→caller hears agent", rep.AcceptToAudioMs)
	pc("  accept RPC round trip", rep.AcceptRPCMs)
	pc("  accept→agent sent frame", rep.AcceptToFrameMs)
	pc("  that frame's transit", rep.FrameTransitMs)
	pc("probe delay caller→agent", rep.CallerToAgent.LatencyMs)
	pc("probe delay agent→caller", rep.AgentToCaller.LatencyMs)
	pc("loopback baseline", rep.BaselineLatencyMs)
	pc("added latency caller→agent", rep.CallerToAgent.AddedLatencyMs)
	pc("added latency agent→caller", rep.AgentToCaller.AddedLatencyMs)
	pc("jitter caller→agent", rep.CallerToAgent.JitterMs)
	pc("jitter agent→caller", rep.AgentToCaller.JitterMs)
	if m := rep.Mixing; m != nil {
		p("mixing path (merged calls)")
		p("  groups %d, merged %d, parties verified %d of %d (each heard both others' tones)", m.Groups, m.Merged, m.Verified, m.Parties)
		pc("call.merge round trip", m.MergeRPCMs)
		pc("probe delay caller→caller", m.CallerToCaller.LatencyMs)
		pc("probe delay caller→agent", m.CallerToAgent.LatencyMs)
		pc("probe delay agent→caller", m.AgentToCaller.LatencyMs)
		pc("added latency caller→caller", m.CallerToCaller.AddedLatencyMs)
		pc("added latency caller→agent", m.CallerToAgent.AddedLatencyMs)
		pc("added latency agent→caller", m.AgentToCaller.AddedLatencyMs)
		p("  probes over 25 ms            caller→caller %.1f%%, caller→agent %.1f%%, agent→caller %.1f%%",
			m.CallerToCaller.Over25MsPercent, m.CallerToAgent.Over25MsPercent, m.AgentToCaller.Over25MsPercent)
		pc("jitter to callers", m.ToCaller.JitterMs)
		pc("jitter to agents", m.ToAgent.JitterMs)
		p("  loss to callers %d packets, %d lost (%.3f%%); to agents %d packets, %d lost (%.3f%%)",
			m.ToCaller.Packets, m.ToCaller.Lost, m.ToCaller.LossPercent, m.ToAgent.Packets, m.ToAgent.Lost, m.ToAgent.LossPercent)
	}
	p("audio loss")
	for _, d := range []struct {
		n string
		d Direction
	}{{"caller→agent", rep.CallerToAgent}, {"agent→caller", rep.AgentToCaller}} {
		p("  %-14s %d packets, %d lost (%.3f%%), %d stream resyncs", d.n, d.d.Packets, d.d.Lost, d.d.LossPercent, d.d.Resyncs)
	}
	g := rep.Gateway
	if g.PID == 0 {
		p("gateway                no pid (give -gateway-pid): no CPU/RSS figures")
	} else {
		p("gateway pid %d, steady window %.0f s at %.1f bridged calls", g.PID, g.SteadySeconds, g.SteadyCalls)
		p("  CPU                  %.1f%% of one core, %.3f%% per call, %.1f µs per forwarded packet", g.CPUPercent, g.CPUPerCallPercent, g.CPUPerPacketMicros)
		p("  delivered            %.0f packets/s (%.0f per call), %.1f µs of CPU per packet delivered", g.DeliveredPPS, g.DeliveredPPS/max(g.SteadyCalls, 1), g.CPUPerDeliveredMicros)
		p("  RSS                  idle %.1f MiB, agents in %.1f MiB, steady %.1f MiB, %.0f KiB per call",
			float64(g.RSSIdleKiB)/1024, float64(g.RSSAgentsKiB)/1024, float64(g.RSSSteadyKiB)/1024, g.RSSPerCallKiB)
	}
	p("generator CPU          %.1f%% of one core (steady window), %.1f µs per packet delivered; rest of the machine %.1f%%",
		rep.GeneratorCPUPercent, rep.GeneratorCPUPerDeliveredMicros, rep.OtherCPUPercent)
	if pl := rep.Placing; pl.Seconds > 0 {
		p("placing window         %.1f s, %d calls, %.1f calls/s (per second min %.0f, max %.0f)",
			pl.Seconds, pl.Placed, pl.CallsPerSecond, pl.MinPerSecond, pl.MaxPerSecond)
		if g.PID != 0 {
			p("  gateway              %.1f%% of one core, %.2f ms CPU per call placed, RSS peak %.1f MiB",
				pl.GatewayCPUPercent, pl.GatewayCPUMsPerCall, float64(pl.GatewayRSSPeakKiB)/1024)
		}
	}
}
