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
	eachEvent(ctx, sub, func(e events.Event) {
		if e.Type != events.CallEnded {
			return
		}
		if qv, ok := e.Quality.(*view.Quality); ok && qv != nil {
			observe(q, "caller", qv.Caller)
			observe(q, "agent", qv.Agent)
		}
	})
}

// eachEvent calls fn with every event of sub until ctx ends or sub does.
func eachEvent(ctx context.Context, sub *events.Subscription, fn func(events.Event)) {
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-sub.C:
			if !ok {
				return
			}
			fn(e)
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
