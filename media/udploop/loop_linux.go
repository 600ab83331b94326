package udploop

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// The clock.
const (
	// Tick is a shard's period while traffic flows.
	Tick = time.Millisecond
	// IdleTicks empty rounds in a row (nothing read, no Ticker busy) at
	// most stop a shard's clock until its next datagram (park). A shard
	// parks after idle empty rounds: 1 at first, doubled up to IdleTicks
	// each time it was woken within shortPark of parking (a steady stream
	// with short gaps: parking there splits the next tick's batch, and
	// each park and wake-up costs a context switch), back to 1 after a
	// longer park (the gap between paced bursts). A paced burst every
	// 20 ms costs a shard 2-3 rounds instead of 10 (at 50 calls the 8
	// empty ticks that followed each burst cost more than batching saved).
	IdleTicks = 8
	// shortPark: a park this short raises the shard's idle rounds.
	shortPark = 2 * Tick
	// maxEvents ready sockets are taken per epoll_wait; more wait for the
	// same tick's next call.
	maxEvents = 256
)

// Ticker is told about every tick of every shard: after each round of
// reads Tick (true if it did something, which keeps that shard's clock
// running), Stop when the shard's clock stops (from then on, as far as
// that shard goes, it must not wait for a tick), Start when it runs again.
// They run on the shards' goroutines: one at a time per shard, at the same
// time from different shards; each shard calls Start before its Stop.
type Ticker interface {
	Tick() bool
	Stop()
	Start()
}

// Loop is a set of shards, each a goroutine with its own 1 ms clock and
// epoll set. Make one per process (New) and hand it to the legs; Close it
// after their sockets.
type Loop struct {
	shards []*shard
}

// shard is one goroutine, its clock and its epoll set.
type shard struct {
	epfd, wakefd int
	evs          [maxEvents]unix.EpollEvent // the shard goroutine's ready sockets
	gate         parkGate                   // park_linux.go
	stopping     atomic.Bool
	done         chan struct{}

	mu      sync.RWMutex // guards following
	conns   []*Conn      // watched sockets by descriptor (a slice: no map lookup per ready socket)
	tickers []Ticker
	added   []Ticker // not yet started

	socks atomic.Int64  // sockets placed on the shard and not closed (Listen)
	ticks atomic.Uint64 // rounds run
	parks atomic.Uint64 // times the clock stopped
	batch *Mmsgs        // ReadBatch's buffers (shard goroutine)

	// Rescue (rescue_linux.go).
	peers    []*shard                   // every shard of the loop, set before run
	busy     atomic.Int64               // since epoch when the round in progress began; 0: none
	rescuing atomic.Bool                // another shard is reading this one's sockets
	rescues  atomic.Uint64              // rounds another shard read for this one
	revs     [maxEvents]unix.EpollEvent // this shard's scratch when it rescues another
}

// New starts a loop of GOMAXPROCS shards.
func New() (*Loop, error) { return NewShards(runtime.GOMAXPROCS(0)) }

// NewShards starts a loop of n shards (at least 1).
func NewShards(n int) (*Loop, error) {
	l := &Loop{}
	for range max(n, 1) {
		s, err := newShard()
		if err != nil {
			for _, s := range l.shards {
				go s.run() // so that close finds it running
			}
			_ = l.Close() // the shards made so far; err is the one to report
			return nil, err
		}
		l.shards = append(l.shards, s)
	}
	for _, s := range l.shards {
		s.peers = l.shards
		go s.run()
	}
	return l, nil
}

func newShard() (*shard, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("udploop: epoll: %w", err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		_ = unix.Close(epfd) // never used
		return nil, fmt.Errorf("udploop: eventfd: %w", err)
	}
	s := &shard{epfd: epfd, wakefd: wakefd, done: make(chan struct{}), batch: NewMmsgs(readBatch, maxDatagram)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wakefd)}); err != nil {
		_ = unix.Close(epfd) // never used
		_ = unix.Close(wakefd)
		return nil, fmt.Errorf("udploop: epoll add: %w", err)
	}
	if err := s.gate.open(s); err != nil {
		_ = unix.Close(epfd) // never used
		_ = unix.Close(wakefd)
		return nil, err
	}
	return s, nil
}

// Shards returns how many shards the loop runs.
func (l *Loop) Shards() int { return len(l.shards) }

// place returns the shard with the fewest sockets (the first of those).
func (l *Loop) place() *shard {
	best := l.shards[0]
	for _, s := range l.shards[1:] {
		if s.socks.Load() < best.socks.Load() {
			best = s
		}
	}
	return best
}

// AddTicker makes every shard call t on each of its ticks until remove is
// called (not from t itself).
func (l *Loop) AddTicker(t Ticker) (remove func()) {
	for _, s := range l.shards {
		s.mu.Lock()
		s.added = append(s.added, t)
		s.mu.Unlock()
		s.wake()
	}
	return func() {
		for _, s := range l.shards {
			s.mu.Lock()
			s.tickers = deleteTicker(s.tickers, t)
			s.added = deleteTicker(s.added, t)
			s.mu.Unlock()
		}
	}
}

// Ticks returns how many rounds the shards have run together (a round:
// a shard's ready sockets read, then the Tickers).
func (l *Loop) Ticks() uint64 {
	var n uint64
	for _, s := range l.shards {
		n += s.ticks.Load()
	}
	return n
}

// Parks returns how many times the shards' clocks have stopped (each
// followed by a wake-up on the next datagram).
func (l *Loop) Parks() uint64 {
	var n uint64
	for _, s := range l.shards {
		n += s.parks.Load()
	}
	return n
}

// ShardTicks returns the rounds each shard has run.
func (l *Loop) ShardTicks() []uint64 {
	out := make([]uint64, len(l.shards))
	for i, s := range l.shards {
		out[i] = s.ticks.Load()
	}
	return out
}

func deleteTicker(ts []Ticker, t Ticker) []Ticker {
	for i, x := range ts {
		if x == t {
			return append(ts[:i:i], ts[i+1:]...)
		}
	}
	return ts
}

// conn returns fd's watched socket, nil if none.
func (s *shard) conn(fd int32) *Conn {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if int(fd) < len(s.conns) {
		return s.conns[fd]
	}
	return nil
}

// setConn records c as fd's socket (nil: none); mu held.
func (s *shard) setConn(fd int, c *Conn) {
	if fd >= len(s.conns) {
		s.conns = append(s.conns, make([]*Conn, fd+1-len(s.conns))...)
	}
	s.conns[fd] = c
}

func (s *shard) wake() {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	_, _ = unix.Write(s.wakefd, one[:]) // an eventfd add of 1 fails only on overflow, when a wake is pending anyway
}

// Close stops every shard and waits for them. Sockets still open stay open
// (their handlers no longer run).
func (l *Loop) Close() error {
	var errs []error
	for _, s := range l.shards {
		errs = append(errs, s.close())
	}
	return errors.Join(errs...)
}

func (s *shard) close() error {
	if s.stopping.Swap(true) {
		<-s.done
		return nil
	}
	s.wake()
	<-s.done
	return errors.Join(s.gate.close(), unix.Close(s.epfd), unix.Close(s.wakefd))
}

// snapshot copies the started Tickers into ts (reused between rounds).
func (s *shard) snapshot(ts []Ticker) []Ticker {
	s.mu.RLock()
	ts = append(ts[:0], s.tickers...)
	s.mu.RUnlock()
	return ts
}

func (s *shard) run() {
	defer close(s.done)
	evs := &s.evs
	var tickers []Ticker
	var drain [8]byte
	quiet, parked, idle := 0, false, 1
	next := time.Now()
	for !s.stopping.Load() {
		var n int
		if parked { // clock stopped: wait for a datagram, then the clock runs again
			n = s.gate.park()
			if time.Since(next) < shortPark {
				idle = min(2*idle, IdleTicks)
			} else {
				idle = 1
			}
			tickers = s.snapshot(tickers)
			for _, t := range tickers {
				t.Start()
			}
			parked, quiet, next = false, 0, time.Now()
		} else {
			var err error
			if n, err = unix.EpollWait(s.epfd, evs[:], 0); err != nil {
				if err != unix.EINTR {
					return
				}
				continue
			}
		}
		s.mu.Lock()
		for _, t := range s.added { // on the clock from this round
			t.Start()
			s.tickers = append(s.tickers, t)
		}
		s.added = s.added[:0]
		s.mu.Unlock()
		s.ticks.Add(1)
		work := s.rescuePeers()
		s.busy.Store(int64(time.Since(epoch)))
		for i := range n {
			fd := evs[i].Fd
			if fd == int32(s.wakefd) {
				_, _ = unix.Read(s.wakefd, drain[:]) // resets it; EAGAIN if already read
				continue
			}
			if c := s.conn(fd); c != nil && c.ready(s) {
				work = true
			}
		}
		tickers = s.snapshot(tickers)
		for _, t := range tickers {
			if t.Tick() {
				work = true
			}
		}
		s.busy.Store(0)
		clear(tickers) // hold no Ticker between rounds
		if n == maxEvents {
			continue // more sockets ready: read them in this tick
		}
		if work {
			quiet = 0
		} else if quiet++; quiet >= idle {
			tickers = s.snapshot(tickers)
			for _, t := range tickers {
				t.Stop()
			}
			clear(tickers)
			s.parks.Add(1)
			parked, next = true, time.Now()
			continue
		}
		next = next.Add(Tick)
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		} else if d < -Tick {
			next = time.Now() // fell behind (a stall): no burst of catch-up ticks
		}
	}
}
