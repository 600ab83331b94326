package udploop

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// The clock.
const (
	// Tick is the loop's period while traffic flows.
	Tick = time.Millisecond
	// IdleTicks ticks in a row with nothing read and no Ticker busy stop
	// the clock until the next datagram.
	IdleTicks = 8
	// maxEvents ready sockets are taken per epoll_wait; more wait for the
	// same tick's next call.
	maxEvents = 256
)

// Ticker is told about every tick: after each round of reads Tick (true if
// it did something, which keeps the clock running), Stop when the clock
// stops (from then on it must not wait for a tick), Start when it runs
// again. All three run on the loop's goroutine.
type Ticker interface {
	Tick() bool
	Stop()
	Start()
}

// Loop is the clock and the epoll set. Make one per process (New) and hand
// it to the legs; Close it after their sockets.
type Loop struct {
	epfd, wakefd int
	stopping     atomic.Bool
	done         chan struct{}

	mu      sync.RWMutex // guards following
	conns   map[int32]*Conn
	tickers []Ticker
	added   []Ticker // not yet started

	ticks atomic.Uint64 // rounds run (tests)
	batch *Mmsgs        // ReadBatch's buffers (loop goroutine)
}

// New starts a loop.
func New() (*Loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("udploop: epoll: %w", err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		_ = unix.Close(epfd) // never used
		return nil, fmt.Errorf("udploop: eventfd: %w", err)
	}
	l := &Loop{epfd: epfd, wakefd: wakefd, done: make(chan struct{}), conns: make(map[int32]*Conn), batch: NewMmsgs(readBatch, maxDatagram)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wakefd)}); err != nil {
		_ = unix.Close(epfd) // never used
		_ = unix.Close(wakefd)
		return nil, fmt.Errorf("udploop: epoll add: %w", err)
	}
	go l.run()
	return l, nil
}

// AddTicker makes the loop call t on every tick until remove is called
// (remove waits for a Tick in progress to end; not from t itself).
func (l *Loop) AddTicker(t Ticker) (remove func()) {
	l.mu.Lock()
	l.added = append(l.added, t)
	l.mu.Unlock()
	l.wake()
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.tickers = deleteTicker(l.tickers, t)
		l.added = deleteTicker(l.added, t)
	}
}

// Ticks returns how many rounds the loop has run (a round: the ready
// sockets read, then the Tickers).
func (l *Loop) Ticks() uint64 { return l.ticks.Load() }

func deleteTicker(ts []Ticker, t Ticker) []Ticker {
	for i, x := range ts {
		if x == t {
			return append(ts[:i:i], ts[i+1:]...)
		}
	}
	return ts
}

func (l *Loop) wake() {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	_, _ = unix.Write(l.wakefd, one[:]) // an eventfd add of 1 fails only on overflow, when a wake is pending anyway
}

// Close stops the loop and waits for it. Sockets still open stay open
// (their handlers no longer run).
func (l *Loop) Close() error {
	if l.stopping.Swap(true) {
		<-l.done
		return nil
	}
	l.wake()
	<-l.done
	return errors.Join(unix.Close(l.epfd), unix.Close(l.wakefd))
}

func (l *Loop) run() {
	defer close(l.done)
	var evs [maxEvents]unix.EpollEvent
	var tickers []Ticker
	var drain [8]byte
	quiet, timeout := 0, 0
	next := time.Now()
	for !l.stopping.Load() {
		n, err := unix.EpollWait(l.epfd, evs[:], timeout)
		if err != nil {
			if err != unix.EINTR {
				return
			}
			continue
		}
		if timeout < 0 { // woken out of idle: the clock runs again
			l.mu.RLock()
			tickers = append(tickers[:0], l.tickers...)
			l.mu.RUnlock()
			for _, t := range tickers {
				t.Start()
			}
			timeout, quiet, next = 0, 0, time.Now()
		}
		l.mu.Lock()
		for _, t := range l.added { // on the clock from this round
			t.Start()
			l.tickers = append(l.tickers, t)
		}
		l.added = l.added[:0]
		l.mu.Unlock()
		l.ticks.Add(1)
		work := false
		for i := range n {
			fd := evs[i].Fd
			if fd == int32(l.wakefd) {
				_, _ = unix.Read(l.wakefd, drain[:]) // resets it; EAGAIN if already read
				continue
			}
			l.mu.RLock()
			c := l.conns[fd]
			l.mu.RUnlock()
			if c != nil && c.ready() {
				work = true
			}
		}
		l.mu.RLock()
		tickers = append(tickers[:0], l.tickers...)
		l.mu.RUnlock()
		for _, t := range tickers {
			if t.Tick() {
				work = true
			}
		}
		clear(tickers) // hold no Ticker between rounds
		if n == maxEvents {
			continue // more sockets ready: read them in this tick
		}
		if work {
			quiet = 0
		} else if quiet++; quiet >= IdleTicks {
			l.mu.RLock()
			tickers = append(tickers[:0], l.tickers...)
			l.mu.RUnlock()
			for _, t := range tickers {
				t.Stop()
			}
			clear(tickers)
			timeout = -1
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
