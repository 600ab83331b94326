package lean

import (
	"net"
	"testing"
	"time"
)

// TestDroppedByReason: a tampered SRTP packet counts as srtp_auth, a packet
// sent twice as srtp_replay, a datagram from an address no leg has as
// unknown_source; the good packet counts nowhere.
func TestDroppedByReason(t *testing.T) {
	r := newReceiveRig(t)
	e := r.leg.e
	r.once(t) // the SSRC is known
	good := r.next(t)
	tampered := r.next(t)
	tampered[20] ^= 0xff
	stranger, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	for _, w := range []struct {
		c *net.UDPConn
		b []byte
	}{{r.cli, good}, {r.cli, tampered}, {r.cli, good}, {stranger, good}} {
		if _, err := w.c.WriteToUDPAddrPort(w.b, r.to); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]uint64{"srtp_auth": 1, "srtp_replay": 1, "unknown_source": 1}
	match := func(got map[string]uint64) bool {
		for k := range got {
			if got[k] != want[k] {
				return false
			}
		}
		return len(got) == int(numDropReasons)+1
	}
	for deadline := time.Now().Add(10 * time.Second); !match(e.Dropped()); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Dropped() = %v, want %v and 0 for the other reasons", e.Dropped(), want)
		}
	}
	if st := r.leg.Stats(); st.PacketsIgnored != 2 || st.PacketsReceived != 2 {
		t.Errorf("leg Stats: ignored %d received %d, want 2 and 2", st.PacketsIgnored, st.PacketsReceived)
	}
}
