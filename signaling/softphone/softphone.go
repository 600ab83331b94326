package softphone

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"switchboard/agent"
	"switchboard/signaling/authlimit"
	"switchboard/signaling/ws"
	"switchboard/view"
)

// Config configures the agent websocket.
type Config struct {
	Core           *agent.Core // required
	AllowedOrigins []string    // see ws.Config; the page's own origin is always allowed
	// LoginRate is how many failed logins per minute one agent may make
	// from one source address before further attempts are refused without
	// a password check; 0 means 10. Ignored when Limiter is set.
	LoginRate int
	ICE       ICEConfig // STUN/TURN servers for the login result (ice.go); zero means none
	// Limiter budgets password checks (PROTOCOL §14); nil means one with
	// LoginRate per (agent, address), 30 per address, a lock-out above 100
	// failures of one agent from all addresses, and NumCPU checks at once.
	Limiter *authlimit.Limiter
	// LoginTimeout closes a socket that has not logged in by then
	// (-ws-login-timeout); 0 means 10s, negative means none.
	LoginTimeout time.Duration
	// Admission caps sockets not yet logged in (-max-ws-unauth); nil means
	// a cap of its own, 256 at once and 16 per address.
	Admission *ws.Admission
	Logger    *slog.Logger // nil means slog.Default()
	// Floor is what floor.subscribe streams to supervisors (PROTOCOL §12);
	// nil means floor.subscribe answers -32002.
	Floor Floor
	// Node is this node's id on several nodes (PROTOCOL §13), "" on one:
	// call.monitor of a call another node holds is refused.
	Node string
}

// Server is the /ws/agent handler.
type Server struct {
	*ws.Handler
	cfg   Config
	log   *slog.Logger
	limit *authlimit.Limiter
}

// New returns the agent websocket handler.
func New(cfg Config) (*Server, error) {
	if cfg.Core == nil {
		return nil, errors.New("softphone: Core is required")
	}
	if cfg.LoginRate == 0 {
		cfg.LoginRate = 10
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Limiter == nil {
		cfg.Limiter = authlimit.New(authlimit.Config{PerSubjectSource: cfg.LoginRate})
	}
	switch {
	case cfg.LoginTimeout == 0:
		cfg.LoginTimeout = DefaultLoginTimeout
	case cfg.LoginTimeout < 0:
		cfg.LoginTimeout = 0
	}
	if cfg.Admission == nil {
		cfg.Admission = ws.NewAdmission(0, 0)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, limit: cfg.Limiter}
	h, err := ws.NewHandler(ws.Config{
		AllowedOrigins: cfg.AllowedOrigins, Kind: "agent", Logger: cfg.Logger,
		LoginTimeout: cfg.LoginTimeout, Admission: cfg.Admission,
	}, s.newSession)
	if err != nil {
		return nil, err
	}
	s.Handler = h
	return s, nil
}

// DefaultLoginTimeout is -ws-login-timeout's default.
const DefaultLoginTimeout = 10 * time.Second

// LoginStats returns the password-check counters.
func (s *Server) LoginStats() authlimit.Stats { return s.limit.Stats() }

// session is one agent connection.
type session struct {
	s    *Server
	conn *ws.Conn
	mux  ws.Mux

	mu      sync.Mutex
	agentID string // guarded by mu; set by login

	floor floorSub // floor.subscribe's stream (floor.go)
}

func (s *Server) newSession(ctx context.Context, c *ws.Conn) ws.Session {
	ss := &session{s: s, conn: c}
	ss.register()
	return &closer{Session: ws.Gate("login", &ss.mux), ss: ss}
}

// closer forwards the connection's end to the core.
type closer struct {
	ws.Session
	ss *session
}

// Closed implements ws.Closer.
func (c *closer) Closed(error) {
	c.ss.closeFloor()
	if id := c.ss.agent(); id != "" {
		c.ss.s.cfg.Core.Disconnected(id, c.ss.conn)
	}
}

func (ss *session) agent() string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.agentID
}

type loginParams struct {
	Agent    string `json:"agent"`
	Password string `json:"password"`
}

type callParams struct {
	Call string `json:"call"`
}

type resParams struct {
	Reservation string `json:"reservation"`
}

func (ss *session) register() {
	core := ss.s.cfg.Core
	m := &ss.mux
	ss.registerVoicemail()
	ss.registerFloor()
	m.Register("login", ws.Typed(func(ctx context.Context, p loginParams) (agent.LoginResult, error) {
		if p.Agent == "" {
			return agent.LoginResult{}, ws.InvalidParams("agent: required")
		}
		if cur := ss.agent(); cur != "" && cur != p.Agent {
			return agent.LoginResult{}, ws.Conflict("already logged in as " + cur)
		}
		// Reserved before the password check, so parallel sockets cannot
		// race past the budget.
		att, err := ss.s.limit.Begin(p.Agent, ss.conn.SourceAddr())
		switch {
		case errors.Is(err, authlimit.ErrBusy):
			return agent.LoginResult{}, ws.Unauthorized("busy")
		case err != nil:
			ss.s.log.Warn("login refused", "agent_id", p.Agent, "remote", ss.conn.RemoteAddr(), "reason", err.Error())
			return agent.LoginResult{}, ws.Unauthorized("too many failed login attempts, try again in a minute")
		}
		res, err := core.Login(ctx, p.Agent, p.Password, ss.conn)
		att.Done(!errors.Is(err, agent.ErrBadPassword))
		if errors.Is(err, agent.ErrBadPassword) {
			return agent.LoginResult{}, ws.Unauthorized("wrong agent or password")
		}
		if err != nil {
			return agent.LoginResult{}, toWS(err)
		}
		ss.mu.Lock()
		ss.agentID = p.Agent
		ss.mu.Unlock()
		res.ICEServers = ss.s.cfg.ICE.servers(p.Agent, time.Now())
		return res, nil
	}))
	m.Register("webrtc.offer", ws.Typed(func(ctx context.Context, p struct {
		SDP string `json:"sdp"`
	}) (map[string]string, error) {
		if p.SDP == "" {
			return nil, ws.InvalidParams("sdp: required")
		}
		ans, err := core.Offer(ctx, ss.agent(), ss.conn, []byte(p.SDP))
		if err != nil {
			return nil, toWS(err)
		}
		return map[string]string{"type": "answer", "sdp": string(ans)}, nil
	}))
	m.Register("activity.set", ws.Typed(func(ctx context.Context, p struct {
		Activity string `json:"activity"`
	}) (view.Agent, error) {
		v, err := core.SetActivity(ss.agent(), p.Activity)
		if errors.Is(err, agent.ErrBadTarget) {
			return v, ws.InvalidParams("activity: must be available, unavailable, break, offline or a custom activity's id (activity.list)")
		}
		return v, toWS(err)
	}))
	m.Register("reservation.accept", ws.Typed(func(ctx context.Context, p resParams) (any, error) {
		if p.Reservation == "" {
			return nil, ws.InvalidParams("reservation: required")
		}
		// A task's offer answers the Task (PROTOCOL §10), a call's the Call.
		if t, ok, err := core.AcceptTask(ss.agent(), p.Reservation); ok {
			return t, toWS(err)
		}
		v, err := core.Accept(ctx, ss.agent(), p.Reservation)
		return v, toWS(err)
	}))
	m.Register("reservation.reject", ws.Typed(func(ctx context.Context, p resParams) (struct{}, error) {
		if p.Reservation == "" {
			return struct{}{}, ws.InvalidParams("reservation: required")
		}
		if ok, err := core.RejectTask(ss.agent(), p.Reservation); ok {
			return struct{}{}, toWS(err)
		}
		return struct{}{}, toWS(core.Reject(ss.agent(), p.Reservation))
	}))
	callOps := map[string]func(a, c string) (view.Call, error){
		"call.hold":   core.Hold,
		"call.resume": core.Resume,
		"call.mute":   func(a, c string) (view.Call, error) { return core.Mute(a, c, true) },
		"call.unmute": func(a, c string) (view.Call, error) { return core.Mute(a, c, false) },
		"call.hangup": core.Hangup,
		// PROTOCOL §12: pause a recording for card numbers.
		"call.record.pause":  core.PauseRecording,
		"call.record.resume": core.ResumeRecording,
	}
	for name, op := range callOps {
		m.Register(name, ws.Typed(func(ctx context.Context, p callParams) (view.Call, error) {
			if p.Call == "" {
				return view.Call{}, ws.InvalidParams("call: required")
			}
			v, err := op(ss.agent(), p.Call)
			return v, toWS(err)
		}))
	}
	m.Register("call.park", ws.Typed(func(ctx context.Context, p callParams) (agent.ParkResult, error) {
		if p.Call == "" {
			return agent.ParkResult{}, ws.InvalidParams("call: required")
		}
		v, err := core.Park(ss.agent(), p.Call)
		return v, toWS(err)
	}))
	m.Register("call.monitor", ws.Typed(func(ctx context.Context, p monitorParams) (agent.MonitorResult, error) {
		if err := p.check(ss.s.cfg.Node); err != nil {
			return agent.MonitorResult{}, err
		}
		v, err := core.Monitor(ss.agent(), p.Call, p.Mode)
		return v, toWS(err)
	}))
	m.Register("call.monitor.stop", ws.Typed(func(ctx context.Context, p monitorParams) (struct{}, error) {
		if err := p.check(ss.s.cfg.Node); err != nil {
			return struct{}{}, err
		}
		return struct{}{}, toWS(core.StopMonitor(ss.agent(), p.Call))
	}))
	m.Register("call.pickup", ws.Typed(func(ctx context.Context, p struct {
		Slot string `json:"slot"`
	}) (view.Call, error) {
		if p.Slot == "" {
			return view.Call{}, ws.InvalidParams("slot: required")
		}
		v, err := core.Pickup(ss.agent(), p.Slot)
		return v, toWS(err)
	}))
	m.Register("call.dtmf", ws.Typed(func(ctx context.Context, p struct {
		Call   string `json:"call"`
		Digits string `json:"digits"`
	}) (struct{}, error) {
		if p.Call == "" || p.Digits == "" {
			return struct{}{}, ws.InvalidParams("digits: call and digits are required")
		}
		return struct{}{}, toWS(core.DTMF(ss.agent(), p.Call, p.Digits))
	}))
	m.Register("call.dial", ws.Typed(func(ctx context.Context, p struct {
		To string `json:"to"`
	}) (view.Call, error) {
		if p.To == "" {
			return view.Call{}, ws.InvalidParams("to: required")
		}
		v, err := core.Dial(ctx, ss.agent(), p.To)
		return v, toWS(err)
	}))
	m.Register("call.transfer", ws.Typed(func(ctx context.Context, p struct {
		Call string `json:"call"`
		To   string `json:"to"`
		Mode string `json:"mode"`
	}) (view.Call, error) {
		if p.Call == "" {
			return view.Call{}, ws.InvalidParams("call: required")
		}
		if p.Mode == "" {
			p.Mode = "blind"
		}
		switch p.Mode {
		case "blind", "warm":
			if p.To == "" {
				return view.Call{}, ws.InvalidParams("to: required for a " + p.Mode + " transfer")
			}
		case "complete", "cancel":
		default:
			return view.Call{}, ws.InvalidParams("mode: must be blind, warm, complete or cancel")
		}
		v, err := core.Transfer(ctx, ss.agent(), p.Call, p.To, p.Mode)
		return v, toWS(err)
	}))
	m.Register("call.merge", ws.Typed(func(ctx context.Context, p struct {
		Calls []string `json:"calls"`
	}) ([]view.Call, error) {
		if len(p.Calls) < 2 {
			return nil, ws.InvalidParams("calls: two call ids required")
		}
		v, err := core.Merge(ss.agent(), p.Calls)
		return v, toWS(err)
	}))
	m.Register("wrapup.done", ws.Typed(func(ctx context.Context, p callParams) (view.Agent, error) {
		v, err := core.WrapupDone(ss.agent())
		return v, toWS(err)
	}))
	ss.registerTasks(m)
	m.Register("state", ws.Typed(func(ctx context.Context, _ struct{}) (agent.LoginResult, error) {
		v, err := core.AgentState(ss.agent())
		return v, toWS(err)
	}))
}

// toWS translates core errors into JSON-RPC errors with a reason.
func toWS(err error) error {
	if err == nil {
		return nil
	}
	var we *ws.Error
	if errors.As(err, &we) {
		return err
	}
	switch {
	case errors.Is(err, agent.ErrNotFound), errors.Is(err, agent.ErrUnknownAgent):
		return ws.NotFound(err.Error())
	case errors.Is(err, agent.ErrState), errors.Is(err, agent.ErrAtCapacity), errors.Is(err, agent.ErrNoSession), errors.Is(err, agent.ErrNoTrunk):
		return ws.Conflict(err.Error())
	case errors.Is(err, agent.ErrBadTarget):
		return ws.InvalidParams(err.Error())
	}
	return &ws.Error{Code: ws.CodeInternalError, Reason: err.Error()}
}
