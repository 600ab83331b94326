package metrics

import "github.com/prometheus/client_golang/prometheus"

// CallQuality keeps the per-call quality histograms (PROTOCOL §9): one
// observation per party ("caller", "agent") of every ended call:
//
//	call_mos{party}          histogram  E-model MOS
//	call_loss_percent{party} histogram  packets lost per 100 expected
//	call_jitter_ms{party}    histogram  RFC 3550 A.8 interarrival jitter
//	call_rtt_ms{party}       histogram  round trip from RTCP, when reported
//
// Unlike the Source metrics these accumulate here (a histogram is a
// history). It is safe for concurrent use; pass it to Handler.
type CallQuality struct {
	mos, loss, jitter, rtt *prometheus.HistogramVec
}

// NewCallQuality returns empty histograms.
func NewCallQuality() *CallQuality {
	h := func(name, help string, buckets []float64) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: name, Help: help, Buckets: buckets}, []string{"party"})
	}
	return &CallQuality{
		mos:    h("call_mos", "E-model MOS of each ended call, per party.", []float64{1, 2, 2.5, 3, 3.5, 3.8, 4, 4.2, 4.3, 4.4, 4.5}),
		loss:   h("call_loss_percent", "Packet loss of each ended call, per party (percent).", []float64{0, 0.5, 1, 2, 3, 5, 10, 20, 50}),
		jitter: h("call_jitter_ms", "Interarrival jitter of each ended call, per party (ms).", []float64{1, 2, 5, 10, 20, 40, 80, 160}),
		rtt:    h("call_rtt_ms", "Round trip time from RTCP of each ended call, per party (ms).", []float64{5, 10, 25, 50, 100, 200, 400, 800}),
	}
}

// Observe records one party's quality at the end of a call; rttMS nil
// means the party sent no usable RTCP.
func (q *CallQuality) Observe(party string, mos, lossPercent, jitterMS float64, rttMS *float64) {
	q.mos.WithLabelValues(party).Observe(mos)
	q.loss.WithLabelValues(party).Observe(lossPercent)
	q.jitter.WithLabelValues(party).Observe(jitterMS)
	if rttMS != nil {
		q.rtt.WithLabelValues(party).Observe(*rttMS)
	}
}

// Describe implements prometheus.Collector.
func (q *CallQuality) Describe(ch chan<- *prometheus.Desc) {
	for _, h := range []*prometheus.HistogramVec{q.mos, q.loss, q.jitter, q.rtt} {
		h.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (q *CallQuality) Collect(ch chan<- prometheus.Metric) {
	for _, h := range []*prometheus.HistogramVec{q.mos, q.loss, q.jitter, q.rtt} {
		h.Collect(ch)
	}
}

var _ prometheus.Collector = (*CallQuality)(nil)
