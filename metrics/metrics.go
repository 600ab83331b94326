package metrics

import (
	"maps"
	"net/http"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Snapshot is the state at one scrape. Nil maps report nothing (the known
// activities and call states are still reported, as 0).
type Snapshot struct {
	AgentsByActivity map[string]int // activity -> agents (available, unavailable, break, offline, ...)
	CallsByState     map[string]int // ringing, active, held
	WaitingByQueue   map[string]int // queue id -> waiting tasks
	Reservations     int
	WSConnections    map[string]int // kind ("admin", "agent") -> open connections
	Media            Media
	RTPDropped       map[string]uint64 // reason -> datagrams trunk legs dropped (PROTOCOL §14 "RTP source")
	TrunkRegistered  map[string]bool   // trunk id -> registered, for trunks that register (PROTOCOL §9)
}

// Media holds the media switch's monotonically increasing counters.
type Media struct {
	FastPathPacketsForwarded uint64
	FramesMixed              uint64
	FramesDropped            uint64
	LatePackets              uint64
	Other                    map[string]float64 // further counters, by name
}

// Source reports the current state; see Snapshot.
type Source interface {
	Snapshot() Snapshot
}

// SourceFunc adapts a function to Source.
type SourceFunc func() Snapshot

// Snapshot implements Source.
func (f SourceFunc) Snapshot() Snapshot { return f() }

// Known label values always reported, so dashboards see zeros, not gaps.
var (
	knownActivities = []string{"available", "unavailable", "break", "offline"}
	knownCallStates = []string{"ringing", "active", "held"}
)

const ns = "switchboard"

var (
	descAgents       = prometheus.NewDesc(ns+"_agents", "Logged-in agents by activity.", []string{"activity"}, nil)
	descCalls        = prometheus.NewDesc(ns+"_calls", "Calls by state.", []string{"state"}, nil)
	descWaiting      = prometheus.NewDesc(ns+"_queue_waiting_tasks", "Calls waiting in a queue.", []string{"queue"}, nil)
	descReservations = prometheus.NewDesc(ns+"_reservations", "Live reservations (offers to agents).", nil, nil)
	descWS           = prometheus.NewDesc(ns+"_ws_connections", "Open websocket connections by kind.", []string{"kind"}, nil)
	descRTPDropped   = prometheus.NewDesc(ns+"_rtp_dropped_total", "RTP datagrams trunk legs dropped, by reason (source, probation, malformed, unnegotiated).", []string{"reason"}, nil)
	descFastPath     = prometheus.NewDesc(ns+"_media_fastpath_packets_forwarded_total", "RTP packets forwarded without decoding.", nil, nil)
	descMixed        = prometheus.NewDesc(ns+"_media_frames_mixed_total", "Audio frames mixed.", nil, nil)
	descDropped      = prometheus.NewDesc(ns+"_media_frames_dropped_total", "Audio frames dropped.", nil, nil)
	descLate         = prometheus.NewDesc(ns+"_media_late_packets_total", "RTP packets that arrived too late to play.", nil, nil)
	descOther        = prometheus.NewDesc(ns+"_media_counter_total", "Other media counters.", []string{"name"}, nil)
	descTrunkReg     = prometheus.NewDesc(ns+"_trunk_registered", "1 while a trunk with register: true is registered, else 0.", []string{"trunk"}, nil)
)

// Collector is a prometheus.Collector reading a Source at scrape time.
type Collector struct {
	src Source
}

// NewCollector returns a collector for src.
func NewCollector(src Source) *Collector { return &Collector{src: src} }

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descAgents, descCalls, descWaiting, descReservations, descWS,
		descFastPath, descMixed, descDropped, descLate, descOther, descRTPDropped, descTrunkReg} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.Snapshot()
	gaugeMap(ch, descAgents, s.AgentsByActivity, knownActivities)
	gaugeMap(ch, descCalls, s.CallsByState, knownCallStates)
	gaugeMap(ch, descWaiting, s.WaitingByQueue, nil)
	ch <- prometheus.MustNewConstMetric(descReservations, prometheus.GaugeValue, float64(s.Reservations))
	gaugeMap(ch, descWS, s.WSConnections, nil)
	ch <- prometheus.MustNewConstMetric(descFastPath, prometheus.CounterValue, float64(s.Media.FastPathPacketsForwarded))
	ch <- prometheus.MustNewConstMetric(descMixed, prometheus.CounterValue, float64(s.Media.FramesMixed))
	ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(s.Media.FramesDropped))
	ch <- prometheus.MustNewConstMetric(descLate, prometheus.CounterValue, float64(s.Media.LatePackets))
	for _, reason := range sortedKeys(s.RTPDropped) {
		ch <- prometheus.MustNewConstMetric(descRTPDropped, prometheus.CounterValue, float64(s.RTPDropped[reason]), reason)
	}
	for _, id := range sortedKeys(s.TrunkRegistered) {
		v := 0.0
		if s.TrunkRegistered[id] {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(descTrunkReg, prometheus.GaugeValue, v, id)
	}
	for _, name := range sortedKeys(s.Media.Other) {
		ch <- prometheus.MustNewConstMetric(descOther, prometheus.CounterValue, s.Media.Other[name], name)
	}
}

func gaugeMap(ch chan<- prometheus.Metric, d *prometheus.Desc, m map[string]int, always []string) {
	for _, k := range always {
		if _, ok := m[k]; !ok {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, 0, k)
		}
	}
	for _, k := range sortedKeys(m) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(m[k]), k)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := slices.Sorted(maps.Keys(m))
	return keys
}

// Handler serves /metrics: src's metrics, any more collectors (such as a
// CallQuality), plus the Go runtime and process collectors, from a private
// registry.
func Handler(src Source, more ...prometheus.Collector) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(src), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(more...)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

var _ prometheus.Collector = (*Collector)(nil)
