package udploop

import (
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"
)

func newLoop(t *testing.T) *Loop {
	t.Helper()
	return started(t, New)
}

// started returns the loop mk makes, closed at the test's end (skipped
// where udploop is not available).
func started(t *testing.T, mk func() (*Loop, error)) *Loop {
	t.Helper()
	l, err := mk()
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip("udploop is Linux only")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	})
	return l
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

type ticker struct{ ticks, stops, starts atomic.Int64 }

func (k *ticker) Tick() bool { k.ticks.Add(1); return false }
func (k *ticker) Stop()      { k.stops.Add(1) }
func (k *ticker) Start()     { k.starts.Add(1) }

// TestLoop: datagrams reach the handler with their source, the clocks
// stop when nothing comes (Stop) and one starts on the next datagram (Start),
// and after Close the handler does not run and writes fail.
func TestLoop(t *testing.T) {
	l := newLoop(t)
	c, err := l.Listen(netip.MustParseAddrPort("127.0.0.1:0"), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got atomic.Int64
	var from atomic.Pointer[netip.AddrPort]
	var buf [64]byte
	if err := c.Watch(func() bool {
		n, src, err := c.ReadFrom(buf[:])
		if err != nil || n == 0 {
			return false
		}
		from.Store(&src)
		got.Add(1)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	k := new(ticker)
	defer l.AddTicker(k)()
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	send := func() {
		if _, err := peer.WriteToUDPAddrPort([]byte("x"), c.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	send()
	waitFor(t, "the datagram", func() bool { return got.Load() == 1 })
	if f := from.Load(); *f != peer.LocalAddr().(*net.UDPAddr).AddrPort() {
		t.Errorf("source %v, want %v", *f, peer.LocalAddr())
	}
	// Every shard stopped, and none runs now (each Starts before its Stop).
	waitFor(t, "every shard's clock to stop", func() bool {
		starts := k.starts.Load()
		return k.stops.Load() >= int64(l.Shards()) && k.stops.Load() == starts
	})
	starts := k.starts.Load()
	send()
	waitFor(t, "the clock to start again", func() bool { return got.Load() == 2 && k.starts.Load() > starts })

	// The peer reads what the conn writes.
	if err := c.WriteTo([]byte("back"), peer.LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
		t.Fatal(err)
	}
	_ = peer.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := peer.Read(buf[:]); err != nil || string(buf[:n]) != "back" {
		t.Fatalf("peer read %q, %v", buf[:n], err)
	}

	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteTo([]byte("x"), peer.LocalAddr().(*net.UDPAddr).AddrPort()); !errors.Is(err, net.ErrClosed) {
		t.Errorf("WriteTo after Close: %v, want net.ErrClosed", err)
	}
}

// TestFewWakeUps: 2,000 datagrams arriving apart (≈ 20 per millisecond
// over a few sockets, as a busy gateway's) take about one round of the
// loop per millisecond, not one per datagram.
func TestFewWakeUps(t *testing.T) {
	l := newLoop(t)
	const socks, n = 4, 2000
	var got atomic.Int64
	var conns []*Conn
	for range socks {
		c := countingConn(t, l, &got)
		conns = append(conns, c)
	}
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	rounds := l.Ticks()
	for i := range n {
		if _, err := peer.WriteToUDPAddrPort([]byte("x"), conns[i%socks].LocalAddr()); err != nil {
			t.Fatal(err)
		}
		for t0 := time.Now(); time.Since(t0) < 50*time.Microsecond; { // apart
		}
	}
	waitFor(t, "every datagram", func() bool { return got.Load() == n })
	if r := l.Ticks() - rounds; r > n/3 {
		t.Errorf("%d rounds for %d datagrams, want at most %d (a 1 ms clock, not a wake-up per datagram)", r, n, n/3)
	}
}

// countingConn is a watched socket on l counting what it reads in got.
func countingConn(t *testing.T, l *Loop, got *atomic.Int64) *Conn {
	t.Helper()
	c, err := l.Listen(netip.MustParseAddrPort("127.0.0.1:0"), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	count := func([]byte, netip.AddrPort) { got.Add(1) }
	if err := c.Watch(func() bool {
		n, _ := c.ReadBatch(count)
		return n > 0
	}); err != nil {
		t.Fatal(err)
	}
	return c
}
