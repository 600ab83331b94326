package udploop

import (
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// spin waits d without sleeping (the traffic's spacing, not a condition).
func spin(d time.Duration) {
	for t0 := time.Now(); time.Since(t0) < d; {
	}
}

// TestParksBetweenBursts: bursts 20 ms apart (a paced load) cost a shard a
// few rounds each, then it parks until the next burst; with IdleTicks
// empty rounds before each park (8: the clock before) every burst cost 9
// rounds or more.
func TestParksBetweenBursts(t *testing.T) {
	l := started(t, func() (*Loop, error) { return NewShards(1) })
	got := new(atomic.Int64)
	c := countingConn(t, l, got)
	peer := udpPeer(t)
	const bursts, size = 10, 20
	rounds, parks := l.Ticks(), l.Parks()
	for b := range bursts {
		for range size {
			if _, err := peer.WriteToUDPAddrPort([]byte("x"), c.LocalAddr()); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, "the burst", func() bool { return got.Load() == int64((b+1)*size) })
		waitFor(t, "the park", func() bool { return l.Parks() > parks+uint64(b) })
		spin(20 * time.Millisecond)
	}
	if r := l.Ticks() - rounds; r > bursts*7 {
		t.Errorf("%d rounds for %d bursts, want at most %d", r, bursts, bursts*7)
	}
}

// TestSteadyStreamStaysOnClock: datagrams 1.3 ms apart (a steady stream
// whose gaps outlast a tick) keep the clock running after a few short
// parks instead of parking and waking once per datagram.
func TestSteadyStreamStaysOnClock(t *testing.T) {
	l := started(t, func() (*Loop, error) { return NewShards(1) })
	got := new(atomic.Int64)
	c := countingConn(t, l, got)
	peer := udpPeer(t)
	const n = 300
	parks := l.Parks()
	for range n {
		if _, err := peer.WriteToUDPAddrPort([]byte("x"), c.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		spin(1300 * time.Microsecond)
	}
	waitFor(t, "every datagram", func() bool { return got.Load() == n })
	if p := l.Parks() - parks; p > n/4 {
		t.Errorf("%d parks for %d datagrams 1.3 ms apart, want at most %d", p, n, n/4)
	}
}

// TestNoIPIDHashing: IPv4 sockets send with DF and no path MTU discovery
// (IP_PMTUDISC_PROBE), so the kernel leaves the IP ID 0 rather than
// hashing one per datagram.
func TestNoIPIDHashing(t *testing.T) {
	l := started(t, func() (*Loop, error) { return NewShards(1) })
	c := countingConn(t, l, new(atomic.Int64))
	var got int
	if err := c.Control(func(fd int) { got, _ = unix.GetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MTU_DISCOVER) }); err != nil {
		t.Fatal(err)
	}
	if got != unix.IP_PMTUDISC_PROBE {
		t.Errorf("IP_MTU_DISCOVER %d, want IP_PMTUDISC_PROBE (%d)", got, unix.IP_PMTUDISC_PROBE)
	}
}
