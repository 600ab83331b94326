package agent

import "switchboard/media"

// QualityView is a call's audio quality per party (PROTOCOL §9 "Call
// quality"): what the gateway received from the caller (the trunk leg) and
// from the agent (the browser leg, counted from when the call reached the
// agent), each combined with that party's RTCP reports. It rides on
// call.ended events, call records and the live calls of the admin state.
type QualityView struct {
	Caller media.Quality `json:"caller"`
	Agent  media.Quality `json:"agent"`
}

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
func (cl *call) qualityLocked() *QualityView {
	if cl.finalQuality != nil {
		return cl.finalQuality
	}
	var q QualityView
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

// qualityOrNil keeps an absent quality out of JSON (a nil *QualityView in
// an interface is not nil).
func qualityOrNil(q *QualityView) any {
	if q == nil {
		return nil
	}
	return q
}

// stateView is the call's view in the admin state: with its quality so far.
func (cl *call) stateView() CallView {
	v := cl.view()
	v.Quality = cl.qualityLocked()
	return v
}
