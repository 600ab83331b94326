package trunk_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/signaling/trunk"
)

// A node dials a peer node (DialPeer): the peer refuses it while the
// node's address is not among its peers (its Allow leaves loopback out),
// then admits it, with the Request-URI user as the number and the
// node's SIP listening address as the source.
func TestDialPeer(t *testing.T) {
	type got struct {
		number string
		remote netip.AddrPort
	}
	calls := make(chan got, 1)
	b := startTrunk(t, trunk.HandlerFunc(func(ctx context.Context, c *trunk.Call) {
		c.Leg().Start(media.Discard)
		calls <- got{c.Number(), c.Remote()}
		if err := c.Answer(ctx); err != nil {
			t.Errorf("answer: %v", err)
			return
		}
		<-c.Done()
	}), netip.MustParsePrefix("10.0.0.0/8"))
	a, pool := dialTrunk(t, "", "", "", 0)
	// a's UDP listener must be serving before a dials: an INVITE sent
	// before sipgo took the listening socket leaves from an ephemeral port
	// (and the connection to b is then reused), which failed this test once
	// in CI. An OPTIONS answered over UDP proves it is.
	u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	for until := time.Now().Add(20 * time.Second); ; {
		msg := rawRequest("OPTIONS", "echo", "UDP", u.LocalAddr().String(), a.Addr(), "ready-1", "")
		if _, err := u.WriteTo([]byte(msg), net.UDPAddrFromAddrPort(a.Addr())); err != nil {
			t.Fatal(err)
		}
		if readFinalFor(u, "ready-1", 200*time.Millisecond) != 0 {
			break
		}
		if time.Now().After(until) {
			t.Fatal("the dialling trunk never answered OPTIONS over UDP")
		}
	}
	dial := func() (*trunk.Call, error) {
		leg, err := pool.Open()
		if err != nil {
			t.Fatal(err)
		}
		leg.Start(media.Discard)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		return a.DialPeer(ctx, b.Addr(), "floor+7.r1", "5551234", leg, nil)
	}
	_, err = dial()
	if de, ok := errors.AsType[*trunk.DialError](err); !ok || de.Code != 403 {
		t.Fatalf("dial before SetPeers: %v, want 403", err)
	}
	b.SetPeers([]netip.AddrPort{a.Addr()})
	c, err := dial()
	if err != nil {
		t.Fatalf("dial a peer: %v", err)
	}
	g := <-calls
	if g.number != "floor+7.r1" || g.remote != a.Addr() {
		t.Errorf("peer got number %q from %v, want floor+7.r1 from %v", g.number, g.remote, a.Addr())
	}
	if err := c.Hangup("done"); err != nil {
		t.Errorf("hangup: %v", err)
	}
	select {
	case <-c.Done():
	case <-time.After(20 * time.Second):
		t.Error("the peer call did not end")
	}
}
