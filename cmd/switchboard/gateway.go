package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"switchboard/agent"
	"switchboard/certs"
	"switchboard/events"
	"switchboard/media"
	"switchboard/media/promptlib"
	"switchboard/media/rtpleg"
	"switchboard/media/udploop"
	"switchboard/metrics"
	"switchboard/recordings"
	"switchboard/signaling/authlimit"
	"switchboard/signaling/console"
	"switchboard/signaling/softphone"
	"switchboard/signaling/trunk"
	"switchboard/signaling/ws"
	"switchboard/store"
	"switchboard/store/sqlite"
	"switchboard/view"
	"switchboard/web"
	"switchboard/web/adminui"
	"switchboard/web/phoneui"
	"switchboard/web/vmaudio"
)

// gateway is every long-lived part of the process, built from Config.
type gateway struct {
	log         *slog.Logger
	adminToken  string // -admin-token, if given
	store       *sqlite.SQLite
	hub         *events.Hub
	quality     *metrics.CallQuality // per-call quality histograms (quality.go)
	journal     *events.Subscription // the event journal's, lossless
	unlockData  func()               // releases the -data flock; nil before it is taken
	sync        *configSync          // -store postgres: configuration changes between nodes (configsync.go); nil otherwise
	cluster     *clusterNode         // -cluster: presence and the router lease in Redis (cluster.go); nil otherwise
	journalKeep int                  // -events-keep
	pacer       *media.Pacer
	pool        *rtpleg.Pool
	loop        *udploop.Loop // -media-loop: reads the trunk legs' and the browsers' sockets on a 1 ms clock; else nil
	webrtc      webrtcEngine
	core        *agent.Core
	trunk       *trunk.Trunk
	console     *console.Console
	phone       *softphone.Server
	http        *web.Server
	certs       certSource         // nil without TLS
	certFiles   *certs.Files       // -tls-cert: reloaded on SIGHUP; nil otherwise
	adminLimit  *authlimit.Limiter // admin-token guesses, shared by /ws/admin and adminOnly
	recordings  *recordings.Dir    // <data>/recordings (recordings.go)
}

// newGateway opens the store and builds the gateway. Nothing runs yet.
func newGateway(ctx context.Context, cfg Config, log *slog.Logger) (_ *gateway, err error) {
	g := &gateway{log: log, adminToken: cfg.AdminToken}
	defer func() {
		if err != nil {
			g.close() // g, not the nil being returned
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data dir %s: %w", cfg.DataDir, err)
	}
	if g.unlockData, err = lockDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	if g.store, err = openStore(ctx, cfg, log); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if cfg.AdminToken == "" {
		tok, created, err := g.store.AdminToken(ctx)
		if err != nil {
			return nil, fmt.Errorf("admin token: %w", err)
		}
		if created {
			// Printed once, on first start; afterwards only its hash is kept.
			fmt.Fprintf(os.Stderr, "switchboard: admin token (shown once, keep it): %s\n", tok)
		}
	}
	music := media.DefaultMusic()
	if cfg.MOHFile != "" {
		f, err := os.Open(cfg.MOHFile)
		if err != nil {
			return nil, fmt.Errorf("-moh: %w", err)
		}
		pcm, err := media.LoadWAV(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("-moh %s: %w", cfg.MOHFile, err)
		}
		music = media.NewMusic(pcm)
	}
	// Seq continues the persisted journal; the journal subscribes before
	// anything can publish, and is lossless (back-pressure, never dropped).
	// On several nodes each stamps its events with its id and continues its
	// own seq (PROTOCOL §13).
	node := ""
	if cfg.Cluster.Redis != "" {
		node = cfg.Cluster.NodeID
	}
	lastSeq, err := g.store.LastEventSeq(ctx, node)
	if err != nil {
		return nil, err
	}
	g.hub = events.NewNodeHub(node, lastSeq)
	if cfg.Cluster.Redis != "" {
		if g.cluster, err = newClusterNode(ctx, cfg.Cluster, g.hub, log); err != nil {
			return nil, err
		}
	}
	g.journal = g.hub.SubscribeLossless(4096)
	g.journalKeep = cfg.Limits.EventsKeep
	counters := &media.Counters{}
	g.pacer = media.NewPacer(media.PacerConfig{Counters: counters, Logger: log})
	if cfg.MediaLoop {
		if g.loop, err = udploop.New(); errors.Is(err, errors.ErrUnsupported) {
			g.loop = nil // not Linux: a read goroutine per socket
			log.Warn("-media-loop needs Linux: reading a goroutine per socket")
		} else if err != nil {
			return nil, fmt.Errorf("media loop: %w", err)
		}
	}
	if g.pool, err = rtpleg.NewPool(rtpleg.Config{IP: cfg.MediaIP, PublicIP: cfg.Deploy.PublicIP, SRTP: cfg.Deploy.TrunkSRTP, PortMin: cfg.RTPPortMin, PortMax: cfg.RTPPortMax, Timeout: cfg.RTPTimeout, Logger: log, Loop: g.loop}); err != nil {
		return nil, err
	}
	if g.webrtc, err = newWebRTCEngine(cfg, g.loop, log); err != nil {
		return nil, fmt.Errorf("webrtc: %w", err)
	}
	var withTLS func(web.Config) web.Config // adds the HTTPS listener, if any (deploy.go)
	if g.certs, g.certFiles, withTLS, err = tlsSetup(cfg, log); err != nil {
		return nil, err
	}
	sipTLS, sipTLSConf := sipTLSListen(cfg, g.certs)
	// The trunk is built first: it calls its handler only once running, by
	// which time the core exists.
	if g.trunk, err = trunk.New(trunk.Config{
		Listen: cfg.SIPAddr.String(), ExternalIP: externalIP(cfg), Allow: cfg.TrunkAllow, Media: g.pool,
		Handler: trunk.HandlerFunc(func(ctx context.Context, c *trunk.Call) {
			c.Leg().Start(media.Discard) // the read loop runs from now on; the core re-points its sink
			if g.cluster != nil && strings.HasPrefix(c.Number(), floorUser) {
				g.cluster.inbound(ctx, trunkCall{c}) // a call from another node (clusterpeer.go)
				return
			}
			g.core.HandleCall(ctx, trunkCall{c})
		}),
		TLSListen: sipTLS, TLS: sipTLSConf, Logger: log,
		OnRegistration: registrationEvents(g.hub),
		InviteRate:     cfg.SIP.Rate, MaxConns: cfg.SIP.MaxConns, MaxConnsPerSource: sipConnsPerSource,
		TCPIdle: cfg.SIP.TCPIdle, ReadTimeout: cfg.SIP.ReadTimeout,
		UserAgent: cfg.SIP.UserAgent, NoUserAgent: cfg.SIP.UserAgent == "",
	}); err != nil {
		return nil, err
	}
	// Trunks (PROTOCOL §9): the -trunk* flags' "default" and the console's.
	if err := loadTrunks(ctx, cfg, g.store, g.trunk); err != nil {
		return nil, err
	}
	if g.recordings, err = openRecordings(cfg, log); err != nil {
		return nil, err
	}
	prompts, err := promptlib.Open(filepath.Join(cfg.DataDir, "prompts")) // PROTOCOL §10: IVR menus' prompts
	if err != nil {
		if prompts == nil {
			return nil, err
		}
		log.Warn("some prompts could not be loaded", "err", err)
	}
	var dialer agent.Dialer = trunkDialer{t: g.trunk, pool: g.pool, callerID: func(ext string) string { return g.core.CallerIDOf(ext) }}
	var floorRouter agent.FloorRouter // -cluster: the leader routes the queue calls (clusterroute.go)
	var lastActivity func(ctx context.Context, agent string) (string, bool)
	if g.cluster != nil {
		floorRouter, lastActivity = g.cluster.hook, g.cluster.lastActivity // clusteragent.go
	}
	g.core, err = agent.New(ctx, agent.Config{
		Pacer: g.pacer, Music: music, Store: g.store, Hub: g.hub, Legs: g.webrtc, Dialer: dialer,
		Grace: cfg.ReconnectGrace, Logger: log,
		ParkSlots: cfg.Park.Slots, ParkTimeout: cfg.Park.Timeout,
		Voicemail:    agent.VoicemailConfig{Dir: voicemailDir(cfg.DataDir), Max: cfg.Voicemail.Max, Retention: cfg.Voicemail.Retention},
		Recordings:   g.recordings,
		PromptLib:    prompts,
		Floor:        floorRouter,
		LastActivity: lastActivity,
	})
	if err != nil {
		return nil, err
	}
	// One budget of unauthenticated sockets for both websockets, and one
	// admin-auth budget for /ws/admin and the token-guarded HTTP paths.
	unauth := ws.NewAdmission(cfg.Limits.MaxWSUnauth, wsUnauthPerSource)
	g.adminLimit = console.NewAuthLimiter()
	wsCfg := ws.Config{AllowedOrigins: cfg.AllowedOrigins, Logger: log, LoginTimeout: cfg.Limits.WSLoginTimeout, Admission: unauth}
	floorEvents := g.hub // the admin streams: with -cluster, the whole floor's (clusterevents.go)
	if g.cluster != nil {
		floorEvents = g.cluster.floorHub
	}
	if g.console, err = console.New(console.Config{
		Store: g.store, Hub: g.hub, Events: floorEvents, Applier: g.core, Floor: floor{g.core, g.cluster}, Trunks: trunkConsole{g.trunk}, Prompts: prompts, Token: cfg.AdminToken, WS: wsCfg,
		Recordings:  recordingDeleter{g.recordings},
		AuthLimiter: g.adminLimit, Logger: log,
	}); err != nil {
		return nil, err
	}
	if g.phone, err = softphone.New(softphone.Config{
		Core: g.core, AllowedOrigins: cfg.AllowedOrigins, LoginTimeout: cfg.Limits.WSLoginTimeout, Admission: unauth,
		ICE: softphone.ICEConfig{URLs: cfg.Deploy.ICEServers, TURNSecret: cfg.Deploy.TURNSecret}, Logger: log,
		Floor: supervisorFloor{floor{g.core, g.cluster}, floorEvents}, Node: node,
	}); err != nil {
		return nil, err
	}
	g.http = web.New(withTLS(web.Config{TrustedProxies: cfg.Deploy.TrustedProxies, Addr: cfg.HTTPAddr, Logger: log, Health: g.trunk.Serving}))
	g.http.Handle("GET /ws/agent", g.phone)
	g.http.Handle("GET /ws/admin", g.console)
	// The pages' origin probe (issue 17 item 5): POST tells an origin refusal apart.
	g.http.Handle("POST /ws/agent", g.phone.OriginCheck())
	g.http.Handle("POST /ws/admin", g.console.OriginCheck())
	tasks := g.adminOnly(console.TaskAPI(g.store, g.core)) // PROTOCOL §10
	// Method patterns: a bare "/api/tasks/" conflicts with "GET /" (the
	// mux panics at start); another method gets the mux's 405.
	for _, p := range []string{"GET /api/tasks", "POST /api/tasks", "GET /api/tasks/", "DELETE /api/tasks/"} {
		g.http.Handle(p, tasks)
	}
	g.http.Handle("PUT /api/prompts/{id}", g.adminOnly(console.PromptAPI(prompts)))
	g.http.Handle("GET /admin", adminui.Handler())
	g.http.Handle("GET /admin/", adminui.Handler())
	g.quality = metrics.NewCallQuality()
	var metricsHandler http.Handler = metrics.Handler(metrics.SourceFunc(g.metrics), g.quality)
	if !cfg.Limits.MetricsPublic {
		metricsHandler = g.adminOnly(metricsHandler)
	}
	g.http.Handle("GET /metrics", metricsHandler)
	vm := &vmaudio.Handlers{Boxes: g.core, Logger: log}
	g.http.Handle("GET /voicemail/{name}", vm.Agent())
	g.http.Handle("PUT /voicemail/greeting", vm.Greeting())
	g.http.Handle("GET /api/voicemail/{name}", g.adminOnly(vm.Admin()))
	g.http.Handle("GET /api/recordings/{file}", g.adminOnly(g.recordings.Handler()))
	g.http.Handle("GET /", phoneui.Handler())
	if cfg.Pprof {
		g.http.Handle("GET /debug/pprof/", g.adminOnly(http.HandlerFunc(pprof.Index)))
		g.http.Handle("GET /debug/pprof/profile", g.adminOnly(http.HandlerFunc(pprof.Profile)))
		g.http.Handle("GET /debug/pprof/trace", g.adminOnly(http.HandlerFunc(pprof.Trace)))
	}
	g.http.RegisterOnShutdown(func() {
		g.warnIf(g.phone.Close(), "phone websocket close")
		g.warnIf(g.console.Close(), "console websocket close")
	})
	if cfg.Store != "" {
		if g.sync, err = newConfigSync(g, cfg.Store); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// run runs every service until ctx ends.
func (g *gateway) run(ctx context.Context) error {
	var wg, jwg sync.WaitGroup
	errc := make(chan error, 5)
	// The journal outlives the services, so the events of their shutdown
	// (calls ended by the core's Close) are persisted too.
	jctx, jstop := context.WithCancel(context.WithoutCancel(ctx))
	defer jstop()
	jwg.Go(func() {
		errc <- store.RunJournal(jctx, store.JournalConfig{Store: g.store, Sub: g.journal, Keep: g.journalKeep, Logger: g.log})
	})
	qualityEvents := g.hub.Subscribe(qualityBuffer)
	wg.Go(func() { observeQuality(ctx, qualityEvents, g.quality) })
	wg.Go(func() { errc <- g.trunk.Run(ctx) })
	wg.Go(func() { errc <- g.http.Run(ctx) })
	wg.Go(func() { errc <- g.core.Run(ctx) })
	if g.sync != nil {
		wg.Go(func() { g.sync.run(ctx) })
	}
	if g.cluster != nil {
		wg.Go(func() { g.cluster.run(ctx, floorSource{core: g.core, cfg: g.store, sip: g.trunk, pool: g.pool}) })
	}
	wg.Go(func() { errc <- g.recordings.RunRetention(ctx, 0) })
	<-ctx.Done()
	wg.Wait()
	jstop()
	jwg.Wait()
	close(errc)
	var err error
	for e := range errc {
		if e != nil && !errors.Is(e, context.Canceled) && !errors.Is(e, http.ErrServerClosed) {
			err = errors.Join(err, e)
		}
	}
	return err
}

// warnIf logs an error of the shutdown, which goes on regardless.
func (g *gateway) warnIf(err error, what string) {
	if err != nil {
		g.log.Warn(what, "err", err)
	}
}

// close releases what newGateway opened; an error is logged, and the rest
// is released all the same.
func (g *gateway) close() {
	if g.core != nil {
		g.warnIf(g.core.Close(), "core close")
	}
	if g.trunk != nil {
		g.warnIf(g.trunk.Close(), "trunk close")
	}
	if g.webrtc != nil {
		g.warnIf(g.webrtc.Close(), "webrtc close")
	}
	if g.loop != nil {
		g.warnIf(g.loop.Close(), "media loop close")
	}
	if g.pacer != nil {
		g.warnIf(g.pacer.Close(), "pacer close")
	}
	if g.cluster != nil {
		g.cluster.close()
	}
	if g.hub != nil {
		g.warnIf(g.hub.Close(), "hub close")
	}
	if g.store != nil {
		g.warnIf(g.store.Close(), "store close")
	}
	if g.unlockData != nil {
		g.unlockData()
	}
}

// metrics builds the /metrics snapshot.
func (g *gateway) metrics() metrics.Snapshot {
	s := floorMetrics(g.core.State())
	c := g.pacer.Counters().Snapshot()
	s.Media = metrics.Media{FastPathPacketsForwarded: c.Forwarded, FramesMixed: c.Mixed, FramesDropped: c.Dropped, LatePackets: c.Late,
		Other: map[string]float64{"concealed_frames": float64(c.Concealed)}}
	for reason, n := range g.webrtc.Dropped() {
		s.Media.Other["webrtc_dropped_"+reason] = float64(n)
	}
	s.Media.Other["webrtc_sent_batched"] = float64(g.webrtc.Batched())
	if g.loop != nil {
		s.Media.Other["media_loop_rounds"] = float64(g.loop.Ticks())
		s.Media.Other["media_loop_parks"] = float64(g.loop.Parks())
	}
	s.WSConnections = map[string]int{"agent": g.phone.Conns(), "admin": g.console.Conns()}
	s.RTPDropped = g.pool.Dropped()
	s.TrunkRegistered = g.trunk.Registered()
	return s
}

// floorMetrics counts the admin state for /metrics.
func floorMetrics(st view.Floor) metrics.Snapshot {
	s := metrics.Snapshot{AgentsByActivity: map[string]int{}, CallsByState: map[string]int{}, WaitingByQueue: map[string]int{}}
	for _, a := range st.Agents {
		s.AgentsByActivity[a.Activity]++
		s.Reservations += len(a.Reservations)
	}
	for _, c := range st.Calls {
		s.CallsByState[c.State]++
	}
	for _, q := range st.Queues {
		s.WaitingByQueue[q.ID] = q.Waiting
	}
	return s
}

// adminOnly guards a handler with the admin token, given as
// "Authorization: Bearer <token>" or ?token=. Failures spend the same
// per-address budget as admin websocket auth (10 a minute).
func (g *gateway) adminOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if tok == "" {
			tok = r.URL.Query().Get("token")
		}
		var src netip.Addr
		if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
			src = ap.Addr().Unmap()
		}
		att, err := g.adminLimit.Begin("", src)
		if err != nil {
			w.Header().Set("Retry-After", "60")
			http.Error(w, "too many failed attempts, try again in a minute", http.StatusTooManyRequests)
			return
		}
		ok := false
		defer func() { att.Done(ok) }()
		if g.adminToken != "" {
			ok = subtle.ConstantTimeCompare([]byte(tok), []byte(g.adminToken)) == 1
		} else if tok != "" {
			ok, err = g.store.CheckAdminToken(r.Context(), tok)
			ok = ok && err == nil
		}
		if !ok {
			w.Header().Set("WWW-Authenticate", "Bearer")
			http.Error(w, "admin token required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
