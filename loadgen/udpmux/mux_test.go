package udpmux_test

import (
	"bytes"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"switchboard/loadgen/udpmux"
	"switchboard/loadgen/udpmux/muxtest"
)

// inbox collects what an End receives.
type inbox struct {
	mu   sync.Mutex
	got  [][]byte
	from []netip.AddrPort
}

func (b *inbox) recv(p []byte, from netip.AddrPort, _ time.Time) {
	b.mu.Lock()
	b.got = append(b.got, bytes.Clone(p))
	b.from = append(b.from, from)
	b.mu.Unlock()
}

// wait returns the first n datagrams, or fails after 10 s.
func (b *inbox) wait(t *testing.T, n int) ([][]byte, []netip.AddrPort) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		b.mu.Lock()
		if len(b.got) >= n {
			defer b.mu.Unlock()
			return b.got[:n], b.from[:n]
		}
		b.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("received %d of %d datagrams in 10 s", len(b.got), n)
		}
	}
}

// TestEndsHaveTheirOwnAddresses: each End sends from its own address
// (a plain socket, as the gateway has, sees it as the source and answers
// it), datagrams reach only the End they were sent to, queued ones too,
// and none after Close.
func TestEndsHaveTheirOwnAddresses(t *testing.T) {
	m := muxtest.New(t, 211)
	var a, b inbox
	ea, err := m.Open(a.recv)
	if err != nil {
		t.Fatal(err)
	}
	eb, err := m.Open(b.recv)
	if err != nil {
		t.Fatal(err)
	}
	if ea.LocalAddr() == eb.LocalAddr() || ea.LocalAddr().Addr().As4()[1] != 211 {
		t.Fatalf("addresses %v, %v", ea.LocalAddr(), eb.LocalAddr())
	}
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	pa := peer.LocalAddr().(*net.UDPAddr).AddrPort()

	for i, e := range []*udpmux.End{ea, eb} {
		if err := e.WriteTo([]byte{byte(i), 'w'}, pa); err != nil {
			t.Fatal(err)
		}
		if err := e.Queue([]byte{byte(i), 'q'}, pa); err != nil {
			t.Fatal(err)
		}
	}
	from := map[netip.AddrPort]int{}
	_ = peer.SetReadDeadline(time.Now().Add(10 * time.Second))
	for range 4 {
		var buf [16]byte
		n, src, err := peer.ReadFromUDPAddrPort(buf[:])
		if err != nil {
			t.Fatal(err)
		}
		want := ea.LocalAddr()
		if buf[0] == 1 {
			want = eb.LocalAddr()
		}
		if src != want || n != 2 {
			t.Errorf("datagram %q from %v, want from %v", buf[:n], src, want)
		}
		from[src]++
		// Answer the source: it must reach that End only.
		if _, err := peer.WriteToUDPAddrPort(buf[:n], src); err != nil {
			t.Fatal(err)
		}
	}
	for _, x := range []struct {
		in *inbox
		id byte
	}{{&a, 0}, {&b, 1}} {
		got, src := x.in.wait(t, 2)
		for i := range got {
			if got[i][0] != x.id || src[i] != pa {
				t.Errorf("End %d received %q from %v", x.id, got[i], src[i])
			}
		}
	}

	// Closed: nothing more is handed to it; the other End still hears.
	if err := ea.Close(); err != nil {
		t.Fatal(err)
	}
	_, _ = peer.WriteToUDPAddrPort([]byte{0, 'x'}, ea.LocalAddr())
	_, _ = peer.WriteToUDPAddrPort([]byte{1, 'y'}, eb.LocalAddr())
	b.wait(t, 3)
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.got) != 2 {
		t.Errorf("closed End received %d datagrams, want the 2 from before", len(a.got))
	}
}

// BenchmarkQueueAndReceive is one datagram queued from one End to another
// on the same Mux, sent in the tick's sendmmsg and read back by recvmmsg.
// It must not allocate.
func BenchmarkQueueAndReceive(b *testing.B) {
	m := muxtest.New(b, 212)
	var mu sync.Mutex
	got := 0
	to, err := m.Open(func([]byte, netip.AddrPort, time.Time) { mu.Lock(); got++; mu.Unlock() })
	if err != nil {
		b.Fatal(err)
	}
	from, err := m.Open(func([]byte, netip.AddrPort, time.Time) {})
	if err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, 172)
	sent := 0
	send := func(n int) {
		for range n {
			if err := from.Queue(payload, to.LocalAddr()); err != nil {
				b.Fatal(err)
			}
			sent++
		}
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Microsecond) {
			mu.Lock()
			done := got >= sent
			mu.Unlock()
			if done {
				return
			}
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d received", got, sent)
			}
		}
	}
	send(64)
	b.ReportAllocs()
	b.ResetTimer()
	for n := b.N; n > 0; n -= 32 {
		send(min(n, 32))
	}
}
