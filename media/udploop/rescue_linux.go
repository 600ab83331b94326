package udploop

import (
	"time"

	"golang.org/x/sys/unix"
)

// StuckAfter is how long a shard may stay in one round before another
// shard, at the start of its own round, reads the stuck shard's ready
// sockets for it (rescue). A round takes ≈ 0.1-0.3 ms at 200 calls; one
// that lasts 2 ms has almost always lost its thread to the OS scheduler
// (an oversubscribed machine preempts it for 10 ms or more), and its
// sockets would wait that long.
const StuckAfter = 2 * time.Millisecond

// epoch is the zero of shard.busy.
var epoch = time.Now()

// rescuePeers reads, for every other shard stuck in a round, that shard's
// ready sockets (s's goroutine). A socket whose handler the stuck shard is
// running is skipped; the stuck shard later finds the others drained
// (level-triggered epoll), which costs it a read that finds nothing.
func (s *shard) rescuePeers() bool {
	work := false
	now := int64(time.Since(epoch))
	for _, p := range s.peers {
		if p == s {
			continue
		}
		if b := p.busy.Load(); b == 0 || time.Duration(now-b) < StuckAfter || !p.rescuing.CompareAndSwap(false, true) {
			continue
		}
		if p.rescueBy(s) {
			work = true
		}
		p.rescuing.Store(false)
	}
	return work
}

// rescueBy runs p's ready sockets' handlers on r's goroutine with r's
// buffers (p's rescuing flag held).
func (p *shard) rescueBy(r *shard) bool {
	n, err := unix.EpollWait(p.epfd, r.revs[:], 0)
	if err != nil {
		return false
	}
	work := false
	for i := range n {
		if c := p.conn(r.revs[i].Fd); c != nil && c.tryReady(r) {
			work = true
		}
	}
	if work {
		p.rescues.Add(1)
	}
	return work
}

// Rescues returns how many times a shard's sockets were read by another
// shard because it was stuck in a round.
func (l *Loop) Rescues() uint64 {
	var n uint64
	for _, s := range l.shards {
		n += s.rescues.Load()
	}
	return n
}
