package ws

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"sync"
)

// Admission caps the websockets that have not yet authenticated (PROTOCOL
// §14 -max-ws-unauth): at most Max at once over every Handler sharing it,
// and at most PerSource from one source address. A connection holds its
// slot from the upgrade until Gate lets its first request through (or
// until it ends), so a flood of idle sockets cannot use up the process's
// descriptors. The zero value admits nothing; use NewAdmission. Safe for
// concurrent use.
type Admission struct {
	max, perSource int

	mu       sync.Mutex // guards following
	total    int
	bySource map[netip.Addr]int // at most total entries: bounded by max
}

// NewAdmission returns an Admission with the given caps; max <= 0 means
// 256 and perSource <= 0 means 16.
func NewAdmission(max, perSource int) *Admission {
	if max <= 0 {
		max = 256
	}
	if perSource <= 0 {
		perSource = 16
	}
	return &Admission{max: max, perSource: perSource, bySource: map[netip.Addr]int{}}
}

// Unauthenticated returns how many connections hold a slot now.
func (a *Admission) Unauthenticated() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.total
}

// errors returned by acquire; ServeHTTP answers them before the upgrade.
var (
	errTooManyUnauth   = errors.New("too many connections waiting to log in")
	errTooManyFromAddr = errors.New("too many connections waiting to log in from this address")
)

// acquire takes a slot for src. release gives it back; it is idempotent.
func (a *Admission) acquire(src netip.Addr) (release func(), err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.total >= a.max:
		return nil, errTooManyUnauth
	case a.bySource[src] >= a.perSource:
		return nil, errTooManyFromAddr
	}
	a.total++
	a.bySource[src]++
	var once sync.Once
	return func() { once.Do(func() { a.releaseSlot(src) }) }, nil
}

func (a *Admission) releaseSlot(src netip.Addr) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.total--
	if n := a.bySource[src] - 1; n > 0 {
		a.bySource[src] = n
	} else {
		delete(a.bySource, src)
	}
}

// sourceAddr is the IP of an HTTP request's peer (the zero Addr if it
// cannot be parsed, which then shares one per-source budget).
func sourceAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// SourceAddr returns the peer's IP address (the zero Addr if unknown).
func (c *Conn) SourceAddr() netip.Addr {
	ap, err := netip.ParseAddrPort(c.remote)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// connKey carries the *Conn in the context handed to Session.Handle, so
// that Gate can mark its connection authenticated however it is wrapped.
type connKey struct{}

func withConn(ctx context.Context, c *Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// ConnFrom returns the connection whose request ctx belongs to, or nil
// outside a Handler.
func ConnFrom(ctx context.Context) *Conn {
	c, _ := ctx.Value(connKey{}).(*Conn)
	return c
}
