package trunk

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Admission of new calls by source rate (PROTOCOL §8 -sip-rate, §14
// "Admission before resources"): each source address has a token bucket of
// Config.InviteRate INVITEs per second with a burst of twice that. An
// initial INVITE over it is answered 503 with Retry-After by Trunk.inspect,
// statelessly, before sipgo creates a transaction and before any RTP port
// or call exists. In-dialog requests (re-INVITE, BYE, ...) are never
// counted, so dialogs already up are not affected.

const (
	defaultInviteRate = 20
	// maxRateSources bounds the per-source map. Past it, sources whose bucket
	// is full again (idle long enough to be indistinguishable from new) are
	// forgotten; if none is, a new source is refused until one is.
	maxRateSources = 65536
)

// sourceRate is the per-source INVITE limiter.
type sourceRate struct {
	limit rate.Limit // 0: no limit
	burst int

	mu      sync.Mutex // guards following
	sources map[netip.Addr]*rate.Limiter
}

func newSourceRate(perSecond float64) *sourceRate {
	if perSecond < 0 {
		return &sourceRate{}
	}
	return &sourceRate{limit: rate.Limit(perSecond), burst: max(1, int(2*perSecond)), sources: map[netip.Addr]*rate.Limiter{}}
}

// key is the source's address; IPv6 sources share their /64 (one host's
// worth), so an attacker cannot fill the map from one prefix.
func rateKey(a netip.Addr) netip.Addr {
	if a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a.Unmap()
}

// allow takes one token from src's bucket.
func (r *sourceRate) allow(src netip.Addr, now time.Time) bool {
	if r == nil || r.limit == 0 {
		return true
	}
	k := rateKey(src)
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.sources[k]
	if l == nil {
		if len(r.sources) >= maxRateSources {
			r.sweepLocked(now)
			if len(r.sources) >= maxRateSources {
				return false
			}
		}
		l = rate.NewLimiter(r.limit, r.burst)
		r.sources[k] = l
	}
	return l.AllowN(now, 1)
}

// sweepLocked forgets sources whose bucket is full again.
func (r *sourceRate) sweepLocked(now time.Time) {
	for k, l := range r.sources {
		if l.TokensAt(now) >= float64(r.burst) {
			delete(r.sources, k)
		}
	}
}
