package main

import (
	"context"

	"switchboard/events"
	"switchboard/media"
	"switchboard/metrics"
	"switchboard/view"
)

// qualityBuffer is the event subscription's buffer for the quality
// histograms: call.ended comes a few times a second at most; if the
// subscriber still falls behind the hub drops it, and the histograms stop
// (the calls are unaffected).
const qualityBuffer = 1024

// observeQuality feeds the per-call quality histograms from call.ended
// events until ctx ends or the hub drops the subscription.
func observeQuality(ctx context.Context, sub *events.Subscription, q *metrics.CallQuality) {
	defer sub.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-sub.C:
			if !ok {
				return
			}
			if e.Type != events.CallEnded {
				continue
			}
			qv, ok := e.Quality.(*view.Quality)
			if !ok || qv == nil {
				continue
			}
			observe(q, "caller", qv.Caller)
			observe(q, "agent", qv.Agent)
		}
	}
}

// observe records one party, unless its leg measured nothing (no audio, or
// an engine without statistics).
func observe(q *metrics.CallQuality, party string, m media.Quality) {
	if m.Packets > 0 {
		q.Observe(party, m.MOS, m.LossPercent, m.JitterMS, m.RTTMS)
	}
}
