package agent

import (
	"switchboard/media"

	"switchboard/view"
)

// qualityReporter is what a leg that measures its incoming stream offers
// (rtpleg and the lean browser leg do; the pion engine does not).
type qualityReporter interface{ Quality() media.Quality }

func legQuality(l any) (media.Quality, bool) {
	if r, ok := l.(qualityReporter); ok && l != nil {
		return r.Quality(), true
	}
	return media.Quality{}, false
}

// agentLegLocked is the browser leg the call's agent speaks through, if any.
func (cl *call) agentLegLocked() BrowserLeg {
	if cl.ag == nil || cl.ag.sess == nil {
		return nil
	}
	return cl.ag.sess.leg
}

// markAgentQualityLocked notes where the agent leg's counts stand when the
// call reaches the agent, so the call's agent quality counts only from then.
func (cl *call) markAgentQualityLocked() {
	cl.agentQBase, cl.agentQLeg = media.Quality{}, nil
	if l := cl.agentLegLocked(); l != nil {
		cl.agentQBase, _ = legQuality(l)
		cl.agentQLeg = l
	}
}

// qualityLocked measures the call now; nil when no leg measures anything.
// Once the call has ended it returns what was measured at the end.
func (cl *call) qualityLocked() *view.Quality {
	if cl.finalQuality != nil {
		return cl.finalQuality
	}
	var q view.Quality
	cq, okC := legQuality(cl.leg)
	q.Caller = cq
	okA := false
	if l := cl.agentLegLocked(); l != nil {
		var aq media.Quality
		if aq, okA = legQuality(l); okA && l == cl.agentQLeg && aq.Packets >= cl.agentQBase.Packets {
			aq.Packets -= cl.agentQBase.Packets
			aq.Lost -= min(aq.Lost, cl.agentQBase.Lost)
			aq.Finish()
		}
		q.Agent = aq
	}
	if !okC && !okA {
		return nil
	}
	return &q
}

// qualityOrNil keeps an absent quality out of JSON (a nil *view.Quality in
// an interface is not nil).
func qualityOrNil(q *view.Quality) any {
	if q == nil {
		return nil
	}
	return q
}

// stateView is the call's view in the admin state: with its quality so far.
func (cl *call) stateView() view.Call {
	v := cl.view()
	v.Quality = cl.qualityLocked()
	return v
}
