//go:build linux

package udploop

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func newShards(t *testing.T, n int) *Loop {
	t.Helper()
	return started(t, func() (*Loop, error) { return NewShards(n) })
}

func listenLocal(t *testing.T, l *Loop) *Conn {
	t.Helper()
	c, err := l.Listen(netip.MustParseAddrPort("127.0.0.1:0"), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func udpPeer(t *testing.T) *net.UDPConn {
	t.Helper()
	p, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func shardOf(l *Loop, c *Conn) int {
	for i, s := range l.shards {
		if c.sh == s {
			return i
		}
	}
	return -1
}

// TestSocketsSpread: sockets go to the shard with the fewest, so 9 on 3
// shards are 3 each, a closed socket's place is the next one's, and
// ListenBeside puts a socket on its neighbour's shard.
func TestSocketsSpread(t *testing.T) {
	l := newShards(t, 3)
	per := make([]int, l.Shards())
	var cs []*Conn
	for range 9 {
		c := listenLocal(t, l)
		per[shardOf(l, c)]++
		cs = append(cs, c)
	}
	for i, n := range per {
		if n != 3 {
			t.Errorf("shard %d has %d sockets of 9, want 3 each (%v)", i, n, per)
		}
	}
	freed := shardOf(l, cs[4])
	if err := cs[4].Close(); err != nil {
		t.Fatal(err)
	}
	next := listenLocal(t, l)
	if got := shardOf(l, next); got != freed {
		t.Errorf("the next socket went to shard %d, want %d (the one a socket left)", got, freed)
	}
	beside, err := next.ListenBeside(netip.MustParseAddrPort("127.0.0.1:0"), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer beside.Close()
	if got := shardOf(l, beside); got != freed {
		t.Errorf("ListenBeside put the socket on shard %d, want its neighbour's %d", got, freed)
	}
}

// watchStuck watches c with a handler that, once it has read a datagram,
// signals entered and does not return until release is closed; calls
// counts its calls.
func watchStuck(t *testing.T, c *Conn) (entered chan struct{}, release chan struct{}, calls *atomic.Int64) {
	t.Helper()
	entered, release, calls = make(chan struct{}, 1), make(chan struct{}), new(atomic.Int64)
	var buf [64]byte
	if err := c.Watch(func() bool {
		calls.Add(1)
		n, _, _ := c.ReadFrom(buf[:])
		if n > 0 {
			entered <- struct{}{}
			<-release
		}
		return n > 0
	}); err != nil {
		t.Fatal(err)
	}
	return entered, release, calls
}

// TestBusyShardDoesNotStarve: while one shard's handler is stuck, the
// other shard's sockets are still read (one goroutine for every socket
// would read none until the stuck handler returns).
func TestBusyShardDoesNotStarve(t *testing.T) {
	l := newShards(t, 2)
	stuck, free := listenLocal(t, l), listenLocal(t, l)
	if shardOf(l, stuck) == shardOf(l, free) {
		t.Fatal("two sockets on one shard of two")
	}
	entered, release, _ := watchStuck(t, stuck)
	var got atomic.Int64
	var fbuf [64]byte
	if err := free.Watch(func() bool {
		n, _, _ := free.ReadFrom(fbuf[:])
		if n > 0 {
			got.Add(1)
		}
		return n > 0
	}); err != nil {
		t.Fatal(err)
	}
	peer := udpPeer(t)
	if _, err := peer.WriteToUDPAddrPort([]byte("x"), stuck.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	<-entered
	defer close(release)
	for range 10 {
		if _, err := peer.WriteToUDPAddrPort([]byte("y"), free.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the free shard's datagrams while the other shard is stuck", func() bool { return got.Load() == 10 })
}

// TestFairPerTick: on one shard, a socket with a backlog of 2,000
// datagrams gets one handler call per round (at most readBatch datagrams
// with ReadBatch), so a socket beside it with one datagram is read in the
// first round, not after the backlog.
func TestFairPerTick(t *testing.T) {
	l := newShards(t, 1)
	busy, quiet := listenLocal(t, l), listenLocal(t, l)
	if err := unix.SetsockoptInt(busy.fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20); err != nil {
		t.Fatal(err)
	}
	peer := udpPeer(t)
	const backlog = 2000
	for range backlog {
		if _, err := peer.WriteToUDPAddrPort([]byte("b"), busy.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := peer.WriteToUDPAddrPort([]byte("q"), quiet.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	perRound := map[uint64]int{} // the busy socket's datagrams by round
	var busyGot atomic.Int64
	var quietRound atomic.Uint64
	start := l.Ticks()
	count := func([]byte, netip.AddrPort) { busyGot.Add(1) }
	if err := busy.Watch(func() bool {
		n, _ := busy.ReadBatch(count)
		mu.Lock()
		perRound[l.Ticks()] += n
		mu.Unlock()
		return n > 0
	}); err != nil {
		t.Fatal(err)
	}
	var buf [64]byte
	if err := quiet.Watch(func() bool {
		n, _, _ := quiet.ReadFrom(buf[:])
		if n > 0 {
			quietRound.Store(l.Ticks())
		}
		return n > 0
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the quiet socket's datagram", func() bool { return quietRound.Load() != 0 })
	waitFor(t, "the backlog", func() bool { return busyGot.Load() == backlog })
	if r := quietRound.Load() - start; r > 2 {
		t.Errorf("the quiet socket was read in round %d after Watch, want 1 or 2 (beside a backlog of %d)", r, backlog)
	}
	mu.Lock()
	defer mu.Unlock()
	for r, n := range perRound {
		if n > readBatch {
			t.Errorf("round %d read %d datagrams of one socket, want at most %d", r, n, readBatch)
		}
	}
	if len(perRound) < backlog/readBatch {
		t.Errorf("the backlog took %d rounds, want at least %d (%d per round)", len(perRound), backlog/readBatch, readBatch)
	}
}

// TestGroup: ListenGroup binds one socket per shard on one port; every
// peer's datagrams reach one socket of the group, in order, the peers are
// spread over the sockets, the group answers from its port, and the port
// is taken (a Listen or another group on it fails).
func TestGroup(t *testing.T) {
	l := newShards(t, 2)
	cs, err := l.ListenGroup(netip.MustParseAddrPort("127.0.0.1:0"), 1<<20, 0) // room for the burst below
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 {
		t.Fatalf("%d sockets in the group, want one per shard (2)", len(cs))
	}
	port := cs[0].LocalAddr()
	type rx struct {
		conn int
		seq  byte
	}
	var mu sync.Mutex
	got := map[netip.AddrPort][]rx{}
	total := 0
	for i, c := range cs {
		defer c.Close()
		if shardOf(l, c) != i {
			t.Errorf("socket %d of the group is on shard %d", i, shardOf(l, c))
		}
		if c.LocalAddr() != port {
			t.Errorf("socket %d bound %v, want %v", i, c.LocalAddr(), port)
		}
		take := func(b []byte, from netip.AddrPort) {
			mu.Lock()
			got[from] = append(got[from], rx{i, b[0]})
			total++
			mu.Unlock()
		}
		if err := c.Watch(func() bool { n, _ := c.ReadBatch(take); return n > 0 }); err != nil {
			t.Fatal(err)
		}
	}
	const peers, each = 32, 20
	var ps []*net.UDPConn
	for range peers {
		ps = append(ps, udpPeer(t))
	}
	for seq := range each {
		for _, p := range ps {
			if _, err := p.WriteToUDPAddrPort([]byte{byte(seq)}, port); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitFor(t, "every datagram", func() bool { mu.Lock(); defer mu.Unlock(); return total == peers*each })
	mu.Lock()
	used := map[int]bool{}
	for from, rs := range got {
		for j, r := range rs {
			if r.conn != rs[0].conn || int(r.seq) != j {
				t.Errorf("peer %v: datagram %d was %d on socket %d (first on %d): want one socket, in order", from, j, r.seq, r.conn, rs[0].conn)
				break
			}
		}
		used[rs[0].conn] = true
	}
	mu.Unlock()
	if len(used) != len(cs) {
		t.Errorf("%d peers all reached %d socket(s) of %d", peers, len(used), len(cs))
	}
	// Answers from any socket of the group come from its port.
	if err := cs[1].WriteTo([]byte("back"), ps[0].LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
		t.Fatal(err)
	}
	var buf [16]byte
	_ = ps[0].SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, from, err := ps[0].ReadFromUDPAddrPort(buf[:]); err != nil || string(buf[:n]) != "back" || from != port {
		t.Errorf("peer read %q from %v, %v; want \"back\" from %v", buf[:n], from, err, port)
	}
	if _, err := l.Listen(port, 0, 0); !errors.Is(err, unix.EADDRINUSE) {
		t.Errorf("Listen on the group's port: %v, want EADDRINUSE", err)
	}
	if _, err := l.ListenGroup(port, 0, 0); !errors.Is(err, unix.EADDRINUSE) {
		t.Errorf("ListenGroup on the group's port: %v, want EADDRINUSE", err)
	}
}

// TestStuckShardRescued: a shard stuck in a round (here a handler that
// does not return; on a loaded machine, a thread the OS preempted) has
// its other sockets read by another shard after StuckAfter, with that
// shard's buffers; the stuck socket's own handler is not run twice.
func TestStuckShardRescued(t *testing.T) {
	l := newShards(t, 2)
	stuck, other := listenLocal(t, l), listenLocal(t, l)
	beside, err := stuck.ListenBeside(netip.MustParseAddrPort("127.0.0.1:0"), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer beside.Close()
	entered, release, stuckCalls := watchStuck(t, stuck)
	var got, otherGot atomic.Int64
	count := func([]byte, netip.AddrPort) { got.Add(1) }
	if err := beside.Watch(func() bool { n, _ := beside.ReadBatch(count); return n > 0 }); err != nil {
		t.Fatal(err)
	}
	countOther := func([]byte, netip.AddrPort) { otherGot.Add(1) }
	if err := other.Watch(func() bool { n, _ := other.ReadBatch(countOther); return n > 0 }); err != nil {
		t.Fatal(err)
	}
	peer := udpPeer(t)
	if _, err := peer.WriteToUDPAddrPort([]byte("x"), stuck.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	<-entered
	defer close(release)
	// The other shard has traffic of its own (a shard rescues at the start
	// of its rounds, which an idle shard does not run).
	for deadline := time.Now().Add(10 * time.Second); got.Load() < 10; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d datagrams read beside the stuck socket in 10 s, want 10 (rescued by the other shard)", got.Load())
		}
		for _, to := range []netip.AddrPort{beside.LocalAddr(), other.LocalAddr()} {
			if _, err := peer.WriteToUDPAddrPort([]byte("y"), to); err != nil {
				t.Fatal(err)
			}
		}
	}
	if l.Rescues() == 0 {
		t.Error("no rescue counted")
	}
	if n := stuckCalls.Load(); n != 1 {
		t.Errorf("the stuck socket's handler ran %d times, want 1 (never beside itself)", n)
	}
}
