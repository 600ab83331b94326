package agent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"switchboard/events"
	"switchboard/media"
	"switchboard/media/prompts"
	"switchboard/recordings"
	"switchboard/router"
	"switchboard/store"
)

// Config configures a Core. Zero values mean the documented defaults.
type Config struct {
	Router  router.Config
	Pacer   *media.Pacer // required: the shared media clock
	Music   *media.Music // music on hold; nil means media.DefaultMusic()
	Prompts prompts.Set  // IVR prompts and announcements; zero means the built-in ones
	Store   Store        // required: floor configuration, passwords, call records (store.go)
	// Floor, with -cluster, routes the plain queue calls instead of the
	// core's own router (floor.go); nil routes everything here.
	Floor FloorRouter
	// LastActivity, with -cluster, is the activity the agent last had on
	// any node (false: none known); Login gives it the agent before it
	// connects, so its activity follows it from node to node.
	LastActivity func(ctx context.Context, agent string) (string, bool)
	Hub          *events.Hub // nil: events are not published
	Legs         LegFactory  // browser legs; nil means webrtc.offer fails
	Dialer       Dialer      // outbound trunk; nil means outside numbers are refused
	// Grace is how long a dropped agent's calls wait on hold for a re-login;
	// 0 means 30 s.
	Grace time.Duration
	// DigitTimeout is how long the IVR waits for digits; 0 means 5 s.
	DigitTimeout time.Duration
	// AnswerTimeout bounds a SIP answer (200 OK until ACK); 0 means 32 s.
	AnswerTimeout time.Duration
	// RingTimeout cancels an outbound call or transfer that rings
	// unanswered this long (PROTOCOL §14); 0 means 60 s.
	RingTimeout time.Duration
	// ParkSlots are the park slots' numbers (PROTOCOL §11); empty means
	// DefaultParkSlots. ParkTimeout returns a parked call to its parker;
	// 0 means 120 s.
	ParkSlots   []string
	ParkTimeout time.Duration
	Voicemail   VoicemailConfig  // PROTOCOL §11 (voicemail.go); zero Dir: off
	PromptLib   PromptClips      // uploaded prompts for IVR menus (menu.go); nil: none
	Logger      *slog.Logger     // nil means slog.Default()
	Now         func() time.Time // nil means time.Now
	// Recordings keeps call recordings (PROTOCOL §12); nil means calls are
	// never recorded, whatever record says.
	Recordings *recordings.Dir
}

// Errors the agent methods return; signaling translates them.
var (
	ErrUnknownAgent = errors.New("unknown agent")
	ErrBadPassword  = errors.New("wrong agent or password")
	ErrNotFound     = errors.New("not found")
	ErrState        = errors.New("not allowed in this state")
	ErrAtCapacity   = errors.New("agent at capacity")
	ErrNoSession    = errors.New("agent not logged in")
	ErrBadTarget    = errors.New("bad target")
	ErrNoTrunk      = errors.New("no outbound trunk configured")
)

// Core is the orchestration core. Create it with New, run Run, and feed it
// trunk calls (HandleCall), agent sessions (Login, Offer, Disconnected, the
// call methods) and configuration (the Apply methods).
type Core struct {
	cfg  Config
	log  *slog.Logger
	now  func() time.Time
	kick chan struct{} // buffer 1: "the router's deadline may have moved"; full means already kicked

	wg      sync.WaitGroup // async SIP work and per-leg watchers
	stop    chan struct{}  // closed by Close
	stopped sync.Once

	mu sync.Mutex
	// guards following
	rt         *router.Router
	agents     map[string]*agentRT
	byExt      map[string]*agentRT
	queues     map[string]store.Queue
	routes     map[string]string
	targets    Targets                   // compiled target_workers by queue (membership.go)
	activities map[string]store.Activity // custom activities (activities.go)
	calls      map[string]*call
	byTask     map[router.TaskID]*call
	byRes      map[router.ReservationID]*call
	byFloor    map[router.TaskID]*call // calls waiting for the floor's router (floor.go)
	ftasks     floorTaskParts          // tasks of other channels on the floor (floortask.go)
	graces     map[*agentRT]struct{}   // agents in their grace period
	queued     map[*call]struct{}      // calls that have been in a queue: their wait is bounded (waitUntil)
	parked     map[string]*parking     // by slot (park.go)
	vm         store.VoicemailStore    // nil: voicemail off (voicemail.go)
	recording  map[*call]struct{}      // callers leaving a message, at most maxRecordings
	tokens     map[string]*agentRT     // sessions' http_token (voicemail_box.go)
	tasks      taskTable               // tasks of any channel (task.go)
	menus      map[string]store.Menu   // IVR menus by id (menu.go)
	evbuf      []router.Event
	nextID     uint64
	closing    bool
}

// New returns a Core loaded with the store's configuration.
func New(ctx context.Context, cfg Config) (*Core, error) {
	if cfg.Pacer == nil || cfg.Store == nil {
		return nil, errors.New("agent: Pacer and Store are required")
	}
	if cfg.Music == nil {
		cfg.Music = media.DefaultMusic()
	}
	cfg.Grace = cmp.Or(cfg.Grace, 30*time.Second)
	cfg.DigitTimeout = cmp.Or(cfg.DigitTimeout, 5*time.Second)
	cfg.RingTimeout = cmp.Or(cfg.RingTimeout, 60*time.Second)
	cfg.AnswerTimeout = cmp.Or(cfg.AnswerTimeout, 32*time.Second)
	cfg.Logger = cmp.Or(cfg.Logger, slog.Default())
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Prompts.Extension == nil {
		p, err := prompts.Load()
		if err != nil {
			return nil, err
		}
		cfg.Prompts = p
	}
	c := &Core{
		cfg:     cfg,
		log:     cfg.Logger,
		now:     cfg.Now,
		kick:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		rt:      router.New(cfg.Router),
		agents:  map[string]*agentRT{},
		byExt:   map[string]*agentRT{},
		queues:  map[string]store.Queue{},
		routes:  map[string]string{},
		calls:   map[string]*call{},
		byTask:  map[router.TaskID]*call{},
		byRes:   map[router.ReservationID]*call{},
		byFloor: map[router.TaskID]*call{},
		graces:  map[*agentRT]struct{}{},
		queued:  map[*call]struct{}{},

		activities: map[string]store.Activity{},
		menus:      map[string]store.Menu{},
	}
	if err := c.parkInit(); err != nil {
		return nil, err
	}
	if err := c.voicemailInit(); err != nil {
		return nil, fmt.Errorf("voicemail: %w", err)
	}
	qs, err := cfg.Store.ListQueues(ctx)
	if err != nil {
		return nil, fmt.Errorf("load queues: %w", err)
	}
	for _, q := range qs {
		c.ApplyQueue(q)
	}
	as, err := cfg.Store.ListAgents(ctx)
	if err != nil {
		return nil, fmt.Errorf("load agents: %w", err)
	}
	for _, a := range as {
		c.ApplyAgent(a)
	}
	rs, err := cfg.Store.ListRoutes(ctx)
	if err != nil {
		return nil, fmt.Errorf("load routes: %w", err)
	}
	for _, r := range rs {
		c.ApplyRoute(r)
	}
	if as, ok := cfg.Store.(store.ActivityStore); ok {
		acts, err := as.ListActivities(ctx)
		if err != nil {
			return nil, fmt.Errorf("load activities: %w", err)
		}
		for _, a := range acts {
			if !a.BuiltIn {
				c.ApplyActivity(a)
			}
		}
	}
	if ws, ok := cfg.Store.(store.WorkflowStore); ok {
		wfs, err := ws.ListWorkflows(ctx)
		if err != nil {
			return nil, fmt.Errorf("load workflows: %w", err)
		}
		for _, w := range wfs {
			c.ApplyWorkflow(w)
		}
	}
	if ms, ok := cfg.Store.(store.MenuStore); ok {
		menus, err := ms.ListMenus(ctx)
		if err != nil {
			return nil, fmt.Errorf("load menus: %w", err)
		}
		for _, m := range menus {
			c.ApplyMenu(m)
		}
	}
	return c, nil
}

// Run drives the core's timers (offer timeouts, wrap-up, the grace
// periods of dropped agents) until ctx ends, then ends every call (Close)
// and returns.
func (c *Core) Run(ctx context.Context) error {
	c.startRetention()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next, ok := locked2(c, c.nextDeadlineLocked)
		d := time.Hour
		if ok {
			d = max(next.Sub(c.now()), 0)
		}
		timer.Reset(d)
		select {
		case <-ctx.Done():
			return c.Close()
		case <-c.stop:
			return nil
		case <-c.kick:
		case <-timer.C:
			c.Advance()
		}
	}
}

// Advance handles every deadline up to Config.Now(): expired offers (the
// agent becomes unavailable and the call goes to the next agent), ended
// wrap-ups and ended grace periods. Run calls it when its timer fires;
// tests that drive Config.Now call it directly.
func (c *Core) Advance() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	now := c.now()
	c.rt.Advance(now)
	c.flushLocked()
	c.parkAdvanceLocked(now)
	c.taskAdvanceLocked(now)
	for ag := range c.graces {
		if !now.Before(ag.graceUntil) {
			c.graceOverLocked(ag)
		}
	}
	for cl := range c.queued {
		if cl.ended || cl.ag != nil || (cl.task == "" && cl.floorTask == "") {
			delete(c.queued, cl)
			continue
		}
		if !now.Before(cl.waitUntil) {
			delete(c.queued, cl)
			c.queueTimeoutLocked(cl)
		}
	}
}

// queueTimeoutLocked ends a call that waited in its queue for the queue's
// max_wait_seconds: the task is withdrawn and the caller hears the
// announcement, then BYE.
func (c *Core) queueTimeoutLocked(cl *call) {
	c.log.Info("queue wait exceeded", "call", cl.id, "queue", cl.queue)
	if cl.floorTask != "" {
		c.floorCancelLocked(cl)
		if !c.queueVoicemailLocked(cl) {
			c.fallbackLocked(cl, "queue_timeout")
		}
		return
	}
	c.warnIf(c.rt.CancelTask(cl.task, c.now()), "router refused task cancel", "call", cl.id, "task", cl.task)
	c.flushLocked()
	delete(c.byTask, cl.task)
	cl.task = ""
	if c.queueVoicemailLocked(cl) {
		return
	}
	c.fallbackLocked(cl, "queue_timeout")
}

// nextDeadlineLocked is the earliest deadline Advance must handle.
func (c *Core) nextDeadlineLocked() (time.Time, bool) {
	next, ok := c.rt.NextDeadline()
	for ag := range c.graces {
		if !ok || ag.graceUntil.Before(next) {
			next, ok = ag.graceUntil, true
		}
	}
	for cl := range c.queued {
		if !ok || cl.waitUntil.Before(next) {
			next, ok = cl.waitUntil, true
		}
	}
	next, ok = c.taskDeadlineLocked(next, ok)
	return c.parkDeadlineLocked(next, ok)
}

// Close ends every call (BYE, or CANCEL for calls being dialled), closes
// every session and waits for the core's goroutines. New calls are refused
// from then on. It is idempotent.
func (c *Core) Close() error {
	c.stopped.Do(func() {
		conns, legs, sws := c.closeUnderLock()
		close(c.stop)
		for _, conn := range conns {
			conn.Close("shutdown")
		}
		for _, l := range legs {
			c.infoIf(l.Close(), "browser leg close failed at shutdown")
		}
		for _, sw := range sws {
			_ = sw.Close() // impossible by construction: media.Switch.Close always returns nil
		}
	})
	c.wg.Wait()
	return nil
}

// ActiveCalls is the number of calls the core knows.
func (c *Core) ActiveCalls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.calls)
}

// newIDLocked returns a fresh id with a prefix.
func (c *Core) newIDLocked(prefix string) string {
	c.nextID++
	return prefix + strconv.FormatUint(c.nextID, 36) + "-" + strconv.FormatInt(c.now().UnixMilli()%1e6, 36)
}

// async runs fn on a goroutine the core waits for in Close.
func (c *Core) async(fn func()) { c.wg.Go(fn) }

// poke tells Run that the router's next deadline may have changed.
func (c *Core) poke() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// publishLocked stamps and publishes an event.
func (c *Core) publishLocked(e events.Event) {
	if e.At.IsZero() {
		e.At = c.now()
	}
	if c.cfg.Hub != nil {
		c.cfg.Hub.Publish(e)
	}
}

// closeUnderLock is Close's part under the lock (which it takes): every
// call ends and every session is detached; it returns what to close after.
func (c *Core) closeUnderLock() (conns []Notifier, legs []BrowserLeg, sws []*media.Switch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closing = true
	for _, cl := range c.calls {
		if !cl.ended {
			c.endCallLocked(cl, "shutdown")
			c.hangupLocked(cl, "shutdown")
		}
	}
	clear(c.graces)
	for _, ag := range c.agents {
		ag.graceUntil = time.Time{}
		if ag.sess != nil {
			conns = append(conns, ag.sess.conn)
			if ag.sess.leg != nil {
				legs = append(legs, ag.sess.leg)
			}
			ag.sess = nil
		}
		ag.sw.SetAgent(nil, 0)
		sws = append(sws, ag.sw)
	}
	return conns, legs, sws
}
