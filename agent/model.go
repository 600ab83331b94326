package agent

import (
	"slices"
	"time"

	"switchboard/media"
	"switchboard/router"
	"switchboard/store"
	"switchboard/view"
)

// agentRT is an agent at run time: its configuration, its session (nil while
// logged out), its media switch and its calls.
type agentRT struct {
	cfg   store.Agent
	sw    *media.Switch
	sess  *session
	calls []*call // in arrival order
	// graceUntil is when a dropped agent's calls get their fallback (zero:
	// not in a grace period). Advance handles it on Config.Now's clock.
	graceUntil time.Time
	// requeue is the call that was active when the session dropped: after
	// the grace period it goes back to its queue.
	requeue *call
	// activity is the custom activity the agent chose ("" for a built-in;
	// activities.go).
	activity string
}

// session is one login: the websocket and the browser leg (nil until
// webrtc.offer).
type session struct {
	conn Notifier
	leg  BrowserLeg
	// inherited: leg came from the session this one took over; if it dies
	// only the audio is lost, not this session.
	inherited bool
	token     string // http_token (voicemail_box.go)
}

// Call states (PROTOCOL.md section 4, plus "waiting").
const (
	stateWaiting = "waiting" // in a queue or IVR, on no agent
	stateRinging = "ringing" // offered to an agent, or outbound before answer
	stateActive  = "active"
	stateHeld    = "held"
	stateEnded   = "ended"
	stateParked  = "parked" // in a park slot, on no agent (park.go)
)

// call is one caller's call as the core sees it.
type call struct {
	id        string
	kind      string // queue, direct, transfer, outbound
	direction string // inbound, outbound
	remote    string // the other party's number
	dialled   string
	attrs     map[string]any // PROTOCOL §10 call attributes; nil: derived from remote/dialled
	queue     string
	tc        TrunkCall
	leg       Leg

	task router.TaskID // live router task ("" if none)
	// floorTask is the call's task on the floor's router while it waits
	// for an agent there (floor.go); floorAcc is a pending accept's answer.
	floorTask router.TaskID
	floorSpec router.Task // what was handed to the floor
	floorAcc  chan error
	peer      *peerLeg // its leg toward the agent's node (floorpeer.go)
	peerIn    bool     // the leg of a call waiting on another node (floorpeer.go)
	// A call bridged between two nodes has one record (floorpeer.go
	// peerRecord): peerOut marks the caller's call once bridged to an
	// agent on another node, peerOrigin is the caller's side of a leg.
	peerOut    bool
	peerOrigin *FloorOrigin
	arrived    time.Time // kept across re-queueing
	res        router.ReservationID
	resAg      *agentRT
	resAt      time.Time
	ag         *agentRT // the agent the call is on
	routed     bool     // counts in ag's router load as an outbound call (AddCall)
	// wrapQueue is the queue of a floor call its agent here took: its end
	// starts the agent's wrap-up here too (floor.go FloorAccepted), whose
	// end (the agent.wrapup event) the node sends to the leader.
	wrapQueue router.QueueID

	state    string
	muted    bool
	merged   bool
	answered bool // our side has answered (inbound 200 sent / outbound 200 received)
	player   *media.Playback
	bridged  *call // transferred: the call this one's audio is bridged to

	created     time.Time
	acceptedAt  time.Time // last accept (or outbound answer)
	firstAccept time.Time // first accept: ends the wait
	holdSince   time.Time
	holdDur     time.Duration
	talkSince   time.Time
	talkDur     time.Duration
	ringDur     time.Duration
	lastAgent   string
	outcome     string
	ended       bool
	fallingBack bool
	digits      chan rune   // IVR input while collecting; nil otherwise
	cancelDial  func()      // outbound: stops dialling (CANCEL) if the call ends first
	onAnswer    func()      // outbound: run once when the far end answers
	waitUntil   time.Time   // queue calls: when the caller stops waiting (max_wait_seconds)
	consult     *call       // warm transfer: the consult call of this caller
	consultFor  *call       // warm transfer: the caller this call consults for
	parking     *parking    // its park slot while parked (park.go)
	mon         *monitoring // its supervisor (monitor.go)
	rec         *recPart    // its recording on the current agent (record.go)
	recParts    []endedPart // its finished recorded parts
	parkDur     time.Duration
	// Quality (quality.go): the agent leg's counts when the call reached the
	// agent, and what was measured when the call ended.
	agentQBase   media.Quality
	agentQLeg    BrowserLeg
	finalQuality *view.Quality

	// waitProvisional: waitUntil is a floor workflow call's bound before
	// its queue is known (queuedInLocked replaces it).
	waitProvisional bool
}

func (cl *call) view() view.Call {
	v := view.Call{
		ID: cl.id, State: cl.state, Muted: cl.muted, Direction: cl.direction, Kind: cl.kind,
		Remote: cl.remote, Queue: cl.queue, StartedAt: ts(cl.created), MergedWith: []string{},
		AnsweredAt: ts(cl.acceptedAt), Supervisor: cl.supervisorView(), Recording: cl.recordingState(),
	}
	cl.cardView(&v) // consult.go
	if cl.ag != nil {
		v.Agent = cl.ag.cfg.ID
		if cl.merged {
			for _, o := range cl.ag.calls {
				if o != cl && o.merged {
					v.MergedWith = append(v.MergedWith, o.id)
				}
			}
		}
	} else if cl.resAg != nil {
		v.Agent = cl.resAg.cfg.ID
	}
	return v
}

func (cl *call) reservationView(expires time.Time) view.Reservation {
	to := cl.dialled
	return view.Reservation{
		ID: string(cl.res), Call: cl.id, Kind: cl.kind, From: cl.remote, To: to, Queue: cl.queue,
		ExpiresAt: ts(expires), Attributes: cl.attributes(),
	}
}

// setState changes the call's state, keeping hold and talk time: time in
// "held" (whatever the reason, including another call being made active)
// is hold time, time in "active" is talk time.
func (cl *call) setState(st string, now time.Time) {
	if cl.state == st {
		return
	}
	if cl.state == stateHeld && !cl.holdSince.IsZero() {
		cl.holdDur += now.Sub(cl.holdSince)
		cl.holdSince = time.Time{}
	}
	if cl.state == stateActive && !cl.talkSince.IsZero() {
		cl.talkDur += now.Sub(cl.talkSince)
		cl.talkSince = time.Time{}
	}
	switch st {
	case stateHeld:
		cl.holdSince = now
	case stateActive:
		cl.talkSince = now
	}
	cl.state = st
}

// markAccepted records an accept (or an outbound answer) at now.
func (cl *call) markAccepted(now time.Time) {
	cl.acceptedAt = now
	if cl.firstAccept.IsZero() {
		cl.firstAccept = now
	}
}

// agentView builds the Agent object from the router's snapshot.
func (c *Core) agentViewLocked(ag *agentRT) view.Agent {
	v := view.Agent{
		ID: ag.cfg.ID, Name: ag.cfg.Name, Extension: ag.cfg.Extension, Capacity: ag.cfg.Capacity,
		Queues: slices.Clone(ag.cfg.Queues), Activity: "offline", Role: ag.cfg.Role,
	}
	if v.Queues == nil {
		v.Queues = []string{}
	}
	if s, ok := c.rt.Agent(router.AgentID(ag.cfg.ID)); ok {
		v.Activity = c.shownActivity(ag, s.Activity)
		v.Load = s.Load
		v.Connected = s.Connected
		v.Wrapup = s.Wrapup
		v.Capacity = s.Capacity
		if s.Wrapup && !s.WrapupUntil.IsZero() {
			v.WrapupUntil = ts(s.WrapupUntil)
		}
	}
	return v
}

// notifyLocked sends a notification to the agent's session, if any.
func (c *Core) notifyLocked(ag *agentRT, method string, params any) {
	if ag == nil || ag.sess == nil {
		return
	}
	if err := ag.sess.conn.Notify(method, params); err != nil {
		c.log.Debug("notify failed", "agent_id", ag.cfg.ID, "method", method, "err", err)
	}
}

// notifyAllLocked sends a notification to every logged-in agent.
func (c *Core) notifyAllLocked(method string, params any) {
	for _, ag := range c.agents {
		c.notifyLocked(ag, method, params)
	}
}

func (c *Core) notifyCallLocked(cl *call) {
	if cl.ag != nil {
		c.notifyLocked(cl.ag, "call.updated", cl.view())
	}
}

func (c *Core) notifyAgentLocked(ag *agentRT) {
	c.notifyLocked(ag, "agent.updated", c.agentViewLocked(ag))
}

// ringingLocked turns the call-waiting tone on while the agent has a
// pending offer and is on a call.
func (c *Core) ringingLocked(ag *agentRT) {
	pending := false
	for _, cl := range c.byRes {
		if cl.resAg == ag {
			pending = true
			break
		}
	}
	onCall := false
	for _, cl := range ag.calls {
		if cl.state == stateActive {
			onCall = true
		}
	}
	ag.sw.SetRinging(pending && onCall)
}
