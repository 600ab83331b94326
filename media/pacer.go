package media

import (
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// PacerConfig configures a Pacer. The zero value is ready to use.
type PacerConfig struct {
	// Workers is the number of clock goroutines that share the registered
	// frame functions between them; 0 means runtime.GOMAXPROCS(0).
	Workers int
	// Manual, when true, starts no goroutine: the owner advances the clock
	// one frame at a time with Tick. Tests use it to be deterministic.
	Manual bool
	// Counters counts the frames Playbacks write; nil means a private set
	// (see Pacer.Counters).
	Counters *Counters
	// Logger receives lifecycle messages; nil means slog.Default().
	Logger *slog.Logger
}

// Pacer is the shared 20 ms clock of the media plane. Everything that must
// produce a frame every 20 ms (a Switch mixing, a Playback, ...) registers a
// function with it; a few worker goroutines (not one per call) run all of
// them, each worker owning a shard of the registrations.
//
// A Pacer is safe for concurrent use. Close stops the workers and waits.
type Pacer struct {
	log      *slog.Logger
	counters *Counters
	shards   []*pacerShard
	manual   bool
	next     atomic.Uint32 // round-robin shard choice
	ticks    atomic.Uint64 // frames ticked by shard 0 (or manually)
	late     atomic.Uint64 // frames a worker skipped because it fell behind

	tickMu sync.Mutex // serializes Tick callers of a Manual pacer

	stop      chan struct{} // closed by Close; never carries values
	closeOnce sync.Once
	wg        sync.WaitGroup
}

type pacerEntry struct {
	id uint64
	fn func(catchUp bool)
}

type pacerShard struct {
	mu      sync.Mutex // guards following
	entries []pacerEntry
	version uint64

	// Owned by the shard's single runner (worker goroutine, or Tick's caller
	// under tickMu): a snapshot of entries reused every frame.
	local        []pacerEntry
	localVersion uint64
}

// NewPacer returns a running Pacer (or, with cfg.Manual, one that moves only
// when Tick is called).
func NewPacer(cfg PacerConfig) *Pacer {
	n := cfg.Workers
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	p := &Pacer{log: cfg.Logger, counters: cfg.Counters, manual: cfg.Manual, stop: make(chan struct{})}
	if p.log == nil {
		p.log = slog.Default()
	}
	if p.counters == nil {
		p.counters = new(Counters)
	}
	if p.manual {
		n = 1
	}
	p.shards = make([]*pacerShard, n)
	for i := range p.shards {
		p.shards[i] = &pacerShard{}
	}
	if !p.manual {
		start := time.Now()
		for i, sh := range p.shards {
			p.wg.Go(func() { p.run(i, sh, start) })
		}
	}
	return p
}

var entryIDs atomic.Uint64

// Register makes the pacer call fn once every 20 ms, from one of its worker
// goroutines (never concurrently with itself), until the returned cancel
// function is called. fn must not block. After cancel returns, fn may still
// run once if its worker had already started the frame; cancel may be called
// from inside fn and more than once.
func (p *Pacer) Register(fn func()) (cancel func()) {
	return p.RegisterFrame(func(bool) { fn() })
}

// RegisterFrame is Register for a frame function that is told whether its
// frame is a catch-up: the worker woke half a frame (10 ms) or more after
// the frame's deadline (the process or the machine stalled), so it runs the
// missed frames back to back and nothing else had a chance to run between
// them. A Switch does not count such frames as intervals the fast path left
// empty (mix.go). A Manual pacer's frames are never catch-ups.
func (p *Pacer) RegisterFrame(fn func(catchUp bool)) (cancel func()) {
	id := entryIDs.Add(1)
	sh := p.shards[int(p.next.Add(1))%len(p.shards)]
	sh.mu.Lock()
	sh.entries = append(sh.entries, pacerEntry{id: id, fn: fn})
	sh.version++
	sh.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			sh.mu.Lock()
			defer sh.mu.Unlock()
			for i, e := range sh.entries {
				if e.id == id {
					sh.entries = append(sh.entries[:i], sh.entries[i+1:]...)
					sh.version++
					return
				}
			}
		})
	}
}

// tick runs every registered function of the shard once. Only one goroutine
// runs a given shard at a time.
func (sh *pacerShard) tick(catchUp bool) {
	sh.mu.Lock()
	if sh.localVersion != sh.version || sh.local == nil {
		sh.local = append(sh.local[:0], sh.entries...)
		sh.localVersion = sh.version
	}
	sh.mu.Unlock()
	for _, e := range sh.local {
		e.fn(catchUp)
	}
}

// Tick advances a Manual pacer by one frame, running every registered
// function once on the caller's goroutine. It panics on a running pacer
// (a programmer error).
func (p *Pacer) Tick() {
	if !p.manual {
		panic("media: Tick on a pacer that is not Manual")
	}
	p.tickMu.Lock()
	defer p.tickMu.Unlock()
	p.ticks.Add(1)
	p.shards[0].tick(false)
}

// maxCatchUp is how many frames a late worker produces back to back before it
// gives up on the missed ones and realigns with the wall clock.
const maxCatchUp = 3

func (p *Pacer) run(i int, sh *pacerShard, start time.Time) {
	timer := time.NewTimer(FrameDuration)
	defer timer.Stop()
	n := int64(0)
	for {
		n++
		deadline := start.Add(time.Duration(n) * FrameDuration)
		timer.Reset(time.Until(deadline))
		select {
		case <-p.stop:
			return
		case <-timer.C:
		}
		if behind := int64(time.Since(start)/FrameDuration) - n; behind > maxCatchUp {
			p.late.Add(uint64(behind))
			n += behind
			p.log.Warn("pacer fell behind", "worker", i, "frames", behind)
		}
		if i == 0 {
			p.ticks.Add(1)
		}
		sh.tick(time.Since(deadline) >= FrameDuration/2)
	}
}

// Counters returns the counters Playbacks update.
func (p *Pacer) Counters() *Counters { return p.counters }

// Frames returns how many 20 ms frames the pacer has run so far.
func (p *Pacer) Frames() uint64 { return p.ticks.Load() }

// Close stops the workers and waits for them. It is idempotent.
func (p *Pacer) Close() error {
	p.closeOnce.Do(func() { close(p.stop) })
	p.wg.Wait()
	return nil
}
