package authlimit

import (
	"errors"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a Limiter. Zero fields mean the documented defaults.
type Config struct {
	// PerSubjectSource is the failed attempts per minute one subject (an
	// agent id) may make from one source address; 0 means 10.
	PerSubjectSource int
	// PerSource is the failed attempts per minute from one source address
	// over all subjects; 0 means 30.
	PerSource int
	// PerSubject is the failed attempts per minute a subject may have from
	// all sources together before it is refused from everywhere; 0 means
	// 100 (so the lock-out starts above 100 failures). Negative disables
	// the subject-wide budget (admin tokens have no subject).
	PerSubject int
	// MaxChecks is how many checks may run at once; 0 means
	// runtime.NumCPU(). Attempts over it get ErrBusy.
	MaxChecks int
	// MaxKeys bounds each of the three maps; 0 means 100,000.
	MaxKeys int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// ErrLimited refuses an attempt over a failure budget.
var ErrLimited = errors.New("too many failed attempts, try again in a minute")

// ErrBusy refuses an attempt while Config.MaxChecks checks are running.
var ErrBusy = errors.New("busy")

// Limiter reserves attempts before they are checked.
type Limiter struct {
	cfg   Config
	slots chan struct{} // one token per running check; buffer MaxChecks, never blocks (select default)

	checks, limited, busy atomic.Uint64

	mu       sync.Mutex // guards following
	pairs    buckets    // subject + "\x00" + source
	sources  buckets    // source
	subjects buckets    // subject
}

// New returns a Limiter.
func New(cfg Config) *Limiter {
	if cfg.PerSubjectSource <= 0 {
		cfg.PerSubjectSource = 10
	}
	if cfg.PerSource <= 0 {
		cfg.PerSource = 30
	}
	if cfg.PerSubject == 0 {
		cfg.PerSubject = 100
	}
	if cfg.MaxChecks <= 0 {
		cfg.MaxChecks = runtime.NumCPU()
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = 100_000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Limiter{
		cfg:      cfg,
		slots:    make(chan struct{}, cfg.MaxChecks),
		pairs:    buckets{},
		sources:  buckets{},
		subjects: buckets{},
	}
}

// Attempt is one reserved check. Call Done exactly once with its outcome.
type Attempt struct {
	l        *Limiter
	keys     [3]string // pair, source, subject ("" = no bucket)
	doneOnce sync.Once
}

// Begin reserves an attempt by subject (may be "") from src and a check
// slot. It returns ErrLimited when any budget is spent and ErrBusy when
// MaxChecks checks are running; then nothing is reserved.
func (l *Limiter) Begin(subject string, src netip.Addr) (*Attempt, error) {
	select {
	case l.slots <- struct{}{}:
	default:
		l.busy.Add(1)
		return nil, ErrBusy
	}
	a := &Attempt{l: l}
	source := src.Unmap().String()
	if len(subject) > 256 { // bound the key size; longer ids share a bucket
		subject = subject[:256]
	}
	a.keys[1] = source
	if subject != "" {
		a.keys[0] = subject + "\x00" + source
		if l.cfg.PerSubject > 0 {
			a.keys[2] = subject
		}
	}
	if !l.reserve(a.keys) {
		<-l.slots
		l.limited.Add(1)
		return nil, ErrLimited
	}
	l.checks.Add(1)
	return a, nil
}

// Done releases the check slot; ok (the credential was right) refunds the
// reserved failure. Only the first call counts.
func (a *Attempt) Done(ok bool) {
	a.doneOnce.Do(func() {
		<-a.l.slots
		if ok {
			a.l.refund(a.keys)
		}
	})
}

// Stats are the Limiter's counters since New.
type Stats struct {
	Checks  uint64 // attempts let through to a check
	Limited uint64 // refused with ErrLimited
	Busy    uint64 // refused with ErrBusy
}

// Stats returns the counters.
func (l *Limiter) Stats() Stats {
	return Stats{Checks: l.checks.Load(), Limited: l.limited.Load(), Busy: l.busy.Load()}
}

// Keys returns the number of entries in the three maps (for tests and
// metrics).
func (l *Limiter) Keys() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.pairs) + len(l.sources) + len(l.subjects)
}

func (l *Limiter) limits() [3]int {
	// The subject-wide lock-out starts above PerSubject failures.
	return [3]int{l.cfg.PerSubjectSource, l.cfg.PerSource, l.cfg.PerSubject + 1}
}

func (l *Limiter) maps() [3]buckets { return [3]buckets{l.pairs, l.sources, l.subjects} }

// reserve takes one token from every bucket of keys, or none. A bucket is
// created only for an attempt that passes, so refused attempts add no key.
func (l *Limiter) reserve(keys [3]string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.cfg.Now()
	lim, ms := l.limits(), l.maps()
	for i, k := range keys {
		if b := ms[i][k]; k != "" && b != nil && b.refill(lim[i], now) < 1 {
			return false
		}
	}
	for i, k := range keys {
		if k != "" {
			ms[i].get(k, lim[i], now, l.cfg.MaxKeys).tokens--
		}
	}
	return true
}

// refund gives back the tokens reserve took.
func (l *Limiter) refund(keys [3]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.cfg.Now()
	lim, ms := l.limits(), l.maps()
	for i, k := range keys {
		if k == "" {
			continue
		}
		if b := ms[i][k]; b != nil {
			b.refill(lim[i], now)
			b.tokens = min(b.tokens+1, float64(lim[i]))
		}
	}
}

// bucket holds up to limit tokens, refilled at limit per minute.
type bucket struct {
	tokens float64
	at     time.Time // of the last refill
}

func (b *bucket) refill(limit int, now time.Time) float64 {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(float64(limit), b.tokens+float64(limit)*d.Minutes())
		b.at = now
	}
	return b.tokens
}

type buckets map[string]*bucket

// get returns key's bucket, creating a full one; a full map first drops
// entries that have refilled, else evicts the fullest.
func (m buckets) get(key string, limit int, now time.Time, maxKeys int) *bucket {
	if b := m[key]; b != nil {
		return b
	}
	if len(m) >= maxKeys {
		var fullest string
		most := -1.0
		for k, b := range m {
			t := b.refill(limit, now)
			if t >= float64(limit) {
				delete(m, k)
				continue
			}
			if t > most {
				fullest, most = k, t
			}
		}
		if len(m) >= maxKeys {
			delete(m, fullest)
		}
	}
	b := &bucket{tokens: float64(limit), at: now}
	m[key] = b
	return b
}
