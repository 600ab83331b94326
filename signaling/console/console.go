package console

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"switchboard/events"
	"switchboard/signaling/authlimit"
	"switchboard/signaling/ws"
	"switchboard/store"
	"switchboard/view"
)

// Applier receives configuration changes as soon as they are committed,
// so the next routing decision uses them. Implemented by the orchestrator.
// Calls come from connection goroutines, possibly concurrently.
type Applier interface {
	ApplyAgent(a store.Agent)
	RemoveAgent(id string)
	ApplyQueue(q store.Queue)
	RemoveQueue(id string)
	ApplyRoute(r store.Route)
	RemoveRoute(number string)
}

// Floor is the live state: State is the `state` result (view.Floor).
// HangupCall ends the call id of node ("" is the serving node; on several
// nodes, PROTOCOL §13, another node's call is ended by that node); for an
// unknown id it returns an error wrapping ErrNoSuchCall, and a *ws.Error
// is answered as it is.
type Floor interface {
	State() view.Floor
	HangupCall(ctx context.Context, node, id string) error
}

// EventSource is a stream of events to subscribe to (*events.Hub).
type EventSource interface {
	Subscribe(buffer int) *events.Subscription
}

// ErrNoSuchCall is what Floor.HangupCall wraps for an unknown call id; the
// console answers it with -32002.
var ErrNoSuchCall = errors.New("no such call")

// Config configures a Console.
type Config struct {
	Store store.Store // required
	Hub   *events.Hub // required: config.changed is published here; subscribe reads it unless Events is set
	// Events is what subscribe reads, when not Hub: on several nodes
	// (PROTOCOL §13) the whole floor's events.
	Events  EventSource
	Applier Applier // nil means changes only reach the store
	Floor   Floor   // nil means state lists configuration only and call.hangup fails
	Trunks  Trunks  // nil means trunk changes only reach the store and status reads disabled
	// Recordings serves recording.delete (PROTOCOL §12); nil means the
	// method answers that recordings are off.
	Recordings RecordingDeleter
	Prompts    Prompts // uploaded prompts (menus.go); nil means none
	// Token, when set (-admin-token), is the admin token; otherwise tokens
	// are checked with Store.CheckAdminToken.
	Token string
	// SubscribeBuffer is the number of events buffered per subscriber
	// before it is dropped (and its connection closed); 0 means 1024.
	SubscribeBuffer int
	WS              ws.Config // origin allow-list, limits; Kind defaults to "admin"
	// AuthLimiter budgets failed auth attempts; nil means 10 a minute per
	// source address (PROTOCOL §14), NumCPU checks at once.
	AuthLimiter *authlimit.Limiter
	Logger      *slog.Logger // nil means slog.Default()
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.Store == nil {
		return errors.New("console: Store is required")
	}
	if c.Hub == nil {
		return errors.New("console: Hub is required")
	}
	if c.SubscribeBuffer < 0 {
		return errors.New("console: negative SubscribeBuffer")
	}
	return c.WS.Validate()
}

// Console is the /ws/admin handler.
type Console struct {
	cfg   Config
	log   *slog.Logger
	h     *ws.Handler
	limit *authlimit.Limiter
}

// New returns a Console; mount it at /ws/admin.
func New(cfg Config) (*Console, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SubscribeBuffer == 0 {
		cfg.SubscribeBuffer = 1024
	}
	if cfg.WS.Kind == "" {
		cfg.WS.Kind = "admin"
	}
	if cfg.WS.Logger == nil {
		cfg.WS.Logger = cfg.Logger
	}
	if cfg.WS.LoginTimeout == 0 { // -ws-login-timeout; the first request must be auth
		cfg.WS.LoginTimeout = DefaultLoginTimeout
	}
	if cfg.WS.Admission == nil {
		cfg.WS.Admission = ws.NewAdmission(0, 0)
	}
	if cfg.AuthLimiter == nil {
		cfg.AuthLimiter = NewAuthLimiter()
	}
	c := &Console{cfg: cfg, log: cfg.Logger, limit: cfg.AuthLimiter}
	h, err := ws.NewHandler(cfg.WS, c.newSession)
	if err != nil {
		return nil, err
	}
	c.h = h
	return c, nil
}

// ServeHTTP implements http.Handler.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.h.ServeHTTP(w, r) }

// Conns returns the number of open admin connections.
func (c *Console) Conns() int { return c.h.Conns() }

// OriginCheck answers a page's origin probe (ws.Handler.OriginCheck).
func (c *Console) OriginCheck() http.Handler { return c.h.OriginCheck() }

// DefaultLoginTimeout is how long a socket may wait before sending auth
// when Config.WS.LoginTimeout is zero.
const DefaultLoginTimeout = 10 * time.Second

// NewAuthLimiter returns the default admin-auth budget: 10 failures a
// minute per source address.
func NewAuthLimiter() *authlimit.Limiter {
	return authlimit.New(authlimit.Config{PerSource: 10, PerSubject: -1})
}

// AuthStats returns the auth-check counters.
func (c *Console) AuthStats() authlimit.Stats { return c.limit.Stats() }

// Close closes every admin connection and waits for them. Idempotent.
func (c *Console) Close() error { return c.h.Close() }

// session is one admin connection.
type session struct {
	ws.Mux
	c    *Console
	conn *ws.Conn
	log  *slog.Logger

	wg  sync.WaitGroup // the event forwarder
	mu  sync.Mutex     // guards following
	sub *events.Subscription
}

func (c *Console) newSession(ctx context.Context, conn *ws.Conn) ws.Session {
	s := &session{c: c, conn: conn, log: c.log.With("remote", conn.RemoteAddr())}
	s.Register("auth", ws.Typed(s.auth))
	s.Register("agent.put", ws.Typed(s.agentPut))
	s.Register("agent.get", ws.Typed(s.agentGet))
	s.Register("agent.delete", ws.Typed(s.agentDelete))
	s.Register("agent.list", ws.Typed(s.agentList))
	s.Register("queue.put", ws.Typed(s.queuePut))
	s.Register("queue.get", ws.Typed(s.queueGet))
	s.Register("queue.delete", ws.Typed(s.queueDelete))
	s.Register("queue.list", ws.Typed(s.queueList))
	s.Register("route.put", ws.Typed(s.routePut))
	s.Register("route.get", ws.Typed(s.routeGet))
	s.Register("route.delete", ws.Typed(s.routeDelete))
	s.Register("route.list", ws.Typed(s.routeList))
	s.Register("state", ws.Typed(s.state))
	s.Register("subscribe", ws.Typed(s.subscribe))
	s.Register("call.hangup", ws.Typed(s.callHangup))
	s.Register("records.list", ws.Typed(s.recordsList))
	s.Register("events.list", ws.Typed(s.eventsList))
	s.registerTrunks()
	s.registerWorkflows()
	s.registerActivities()
	s.registerStats()
	s.registerVoicemail()
	s.registerTasks()
	s.registerRecordings()
	s.registerMenus()
	return ws.Gate("auth", s)
}

type empty struct{}

type authParams struct {
	Token string `json:"token"`
}

func (s *session) auth(ctx context.Context, p authParams) (empty, error) {
	if p.Token == "" {
		return empty{}, ws.Unauthorized("token: required")
	}
	att, err := s.c.limit.Begin("", s.conn.SourceAddr())
	switch {
	case errors.Is(err, authlimit.ErrBusy):
		return empty{}, ws.Unauthorized("busy")
	case err != nil:
		s.log.Warn("admin auth refused", "reason", err.Error())
		return empty{}, ws.Unauthorized("too many failed attempts, try again in a minute")
	}
	ok := false
	defer func() { att.Done(ok) }()
	if s.c.cfg.Token != "" {
		ok = subtle.ConstantTimeCompare([]byte(p.Token), []byte(s.c.cfg.Token)) == 1
	} else {
		var err error
		if ok, err = s.c.cfg.Store.CheckAdminToken(ctx, p.Token); err != nil {
			return empty{}, s.fail("auth", err)
		}
	}
	if !ok {
		s.log.Warn("admin auth refused")
		return empty{}, ws.Unauthorized("token: wrong token")
	}
	s.log.Info("admin connected")
	return empty{}, nil
}

type subscribeParams struct{}

func (s *session) subscribe(ctx context.Context, _ subscribeParams) (empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sub != nil {
		return empty{}, nil // already subscribed
	}
	var src EventSource = s.c.cfg.Hub
	if s.c.cfg.Events != nil {
		src = s.c.cfg.Events
	}
	sub := src.Subscribe(s.c.cfg.SubscribeBuffer)
	s.sub = sub
	s.wg.Go(func() { s.forward(sub) })
	return empty{}, nil
}

// forward copies hub events to the connection until either ends. Events
// published after the subscribe answer was queued follow it, in order.
func (s *session) forward(sub *events.Subscription) {
	for e := range sub.C {
		if err := s.conn.Notify("event", e); err != nil {
			sub.Close()
			return
		}
	}
	if err := sub.Err(); err != nil { // dropped for slowness: the stream has a gap
		s.log.Warn("admin event stream dropped", "err", err)
		s.conn.Close("event stream overflow")
	}
}

// Closed implements ws.Closer: it ends the subscription and waits for the
// forwarder.
func (s *session) Closed(error) {
	s.mu.Lock()
	sub := s.sub
	s.mu.Unlock()
	if sub != nil {
		sub.Close()
	}
	s.wg.Wait()
}

// changed tells the applier (via apply) and publishes config.changed.
func (s *session) changed(kind, id, op string, apply func(Applier)) {
	if a := s.c.cfg.Applier; a != nil {
		apply(a)
	}
	s.c.cfg.Hub.Publish(events.Event{Type: events.ConfigChanged, Detail: map[string]any{"kind": kind, "id": id, "op": op}})
	s.log.Info("config changed", "kind", kind, "id", id, "op", op)
}

// fail translates store errors into JSON-RPC errors.
func (s *session) fail(op string, err error) error {
	var ve *store.ValidationError
	var we *ws.Error
	switch {
	case errors.As(err, &ve):
		return ws.InvalidParams(ve.Error())
	case errors.As(err, &we):
		return we
	case errors.Is(err, store.ErrNotFound), errors.Is(err, ErrNoSuchCall):
		return ws.NotFound(err.Error())
	case errors.Is(err, context.Canceled):
		return &ws.Error{Code: ws.CodeInternalError, Reason: "connection closing"}
	}
	s.log.Error("admin request failed", "op", op, "err", err)
	return &ws.Error{Code: ws.CodeInternalError, Reason: fmt.Sprintf("%s: %v", op, err)}
}
