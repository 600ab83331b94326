package rtpleg

import (
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// captured is one RTP packet seen by a capture socket.
type captured struct {
	rtp.Header
	payload []byte
	at      time.Time
}

// capture is a raw UDP socket on 127.0.0.1 that records every RTP packet.
type capture struct {
	conn *net.UDPConn
	wg   sync.WaitGroup
	mu   sync.Mutex
	pkts []captured
}

func newCapture(t testing.TB) *capture {
	t.Helper()
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	c := &capture{conn: conn}
	c.wg.Go(func() {
		buf := make([]byte, 1500)
		for {
			n, _, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			var p rtp.Packet
			if p.Unmarshal(append([]byte(nil), buf[:n]...)) != nil {
				continue
			}
			c.mu.Lock()
			c.pkts = append(c.pkts, captured{Header: p.Header, payload: p.Payload, at: time.Now()})
			c.mu.Unlock()
		}
	})
	t.Cleanup(func() {
		_ = conn.Close()
		c.wg.Wait()
	})
	return c
}

func (c *capture) addr() netip.AddrPort { return c.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (c *capture) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pkts)
}

func (c *capture) packets() []captured {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]captured(nil), c.pkts...)
}
