package main

import (
	be "encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"switchboard/internal/porttest"
	"switchboard/internal/repotest"
)

// BenchmarkInviteFlood is the §14 flood benchmark (not a timed test): for
// 30 s, 127.0.0.2 sends 1,000 INVITEs/s that it never ACKs, while 127.0.0.4
// places 20 ordinary calls and 127.0.0.3 keeps one established echo call
// with RTP both ways. It reports the legitimate calls answered, the flood's
// 503s, the gateway's peak RSS and the established call's lost packets.
// Run: go test -run '^$' -bench InviteFlood -benchtime 1x ./cmd/switchboard/
func BenchmarkInviteFlood(b *testing.B) {
	bin := repotest.Build(b, b.TempDir(), "./cmd/switchboard")
	sipPort := porttest.Free(b, "tcp")
	gw := exec.Command(bin, "-sip-addr", "127.0.0.1:"+strconv.Itoa(sipPort), "-http-addr", "127.0.0.1:"+strconv.Itoa(porttest.Free(b, "tcp")),
		"-media-ip", "127.0.0.1", "-rtp-ports", "30000-34999", "-data", b.TempDir(), "-webrtc-port", "0", "-log-level", "error")
	gw.Env = []string{}
	gw.Stderr = os.Stderr
	if err := gw.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = gw.Process.Signal(syscall.SIGINT); _ = gw.Wait() })
	dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sipPort}
	time.Sleep(time.Second) // the child binds; there is nothing to poll on UDP but an answer
	for b.Loop() {
		const dur = 30 * time.Second
		var rssMax atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { // peak RSS
			t := time.NewTicker(200 * time.Millisecond)
			defer t.Stop()
			for {
				if r := rssKiB(gw.Process.Pid); r > rssMax.Load() {
					rssMax.Store(r)
				}
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		})
		// The established call.
		est := dialEcho(b, "127.0.0.3", dst, "est-1")
		var sent, heard atomic.Int64
		wg.Go(func() { est.rtp(stop, &sent, &heard) })
		// The flood.
		var floodSent, flood503 atomic.Int64
		fl, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)})
		if err != nil {
			b.Fatal(err)
		}
		wg.Go(func() {
			buf := make([]byte, 65536)
			for {
				n, _, err := fl.ReadFrom(buf)
				if err != nil {
					return
				}
				if strings.HasPrefix(string(buf[:n]), "SIP/2.0 503") {
					flood503.Add(1)
				}
			}
		})
		wg.Go(func() {
			local := fl.LocalAddr().String()
			start := time.Now()
			t := time.NewTicker(10 * time.Millisecond)
			defer t.Stop()
			for i := 0; ; {
				select {
				case <-stop:
					return
				case <-t.C:
				}
				// Paced by deadline: INVITE k is due at start + k ms.
				for due := int(time.Since(start) / time.Millisecond); i < due; i++ {
					msg := invite("echo", local, dst.String(), "flood-"+strconv.Itoa(i), 9)
					if _, err := fl.WriteTo([]byte(msg), dst); err == nil {
						floodSent.Add(1)
					}
				}
			}
		})
		// 20 legitimate calls over the 30 s.
		answered := 0
		for i := range 20 {
			time.Sleep(dur / 21)
			c := dialEchoErr("127.0.0.4", dst, "legit-"+strconv.Itoa(i))
			if c != nil {
				answered++
				c.bye()
			}
		}
		time.Sleep(dur / 21)
		close(stop)
		fl.Close()
		est.conn.Close()
		est.rtpConn.Close()
		wg.Wait()
		b.ReportMetric(float64(answered), "legit_answered")
		b.ReportMetric(float64(floodSent.Load())/dur.Seconds(), "flood_invites/s")
		b.ReportMetric(float64(flood503.Load()), "flood_503")
		b.ReportMetric(float64(rssMax.Load())/1024, "rss_max_MiB")
		b.ReportMetric(float64(sent.Load()-heard.Load()), "est_lost_pkts")
		b.ReportMetric(float64(sent.Load()), "est_sent_pkts")
		b.Logf("legit answered %d/20, flood %.0f INVITEs/s, %d got 503, peak RSS %.1f MiB, established call lost %d of %d packets",
			answered, float64(floodSent.Load())/dur.Seconds(), flood503.Load(), float64(rssMax.Load())/1024, sent.Load()-heard.Load(), sent.Load())
		if answered != 20 {
			b.Errorf("%d of 20 legitimate calls answered during the flood", answered)
		}
	}
}

func rssKiB(pid int) int64 {
	s, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	v := strings.Fields(between2(string(s), "VmRSS:", "\n"))
	if len(v) == 0 {
		return 0
	}
	n, _ := strconv.ParseInt(v[0], 10, 64)
	return n
}

func between2(s, a, b string) string {
	_, r, _ := strings.Cut(s, a)
	v, _, _ := strings.Cut(r, b)
	return v
}

func invite(user, local, dst, callID string, rtpPort int) string {
	sdp := fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n", strings.Split(local, ":")[0], rtpPort)
	return "INVITE sip:" + user + "@" + dst + " SIP/2.0\r\nVia: SIP/2.0/UDP " + local + ";branch=z9hG4bK-" + callID + "\r\n" +
		"Max-Forwards: 70\r\nFrom: <sip:load@" + local + ">;tag=t-" + callID + "\r\nTo: <sip:" + user + "@" + dst + ">\r\nCall-ID: " + callID + "\r\n" +
		"CSeq: 1 INVITE\r\nContact: <sip:load@" + local + ">\r\nContent-Type: application/sdp\r\nContent-Length: " + strconv.Itoa(len(sdp)) + "\r\n\r\n" + sdp
}

// echoCall is an answered call to echo from a raw UDP socket.
type echoCall struct {
	conn, rtpConn *net.UDPConn
	dst           *net.UDPAddr
	remoteRTP     *net.UDPAddr
	callID, ok    string
}

func dialEcho(b *testing.B, from string, dst *net.UDPAddr, callID string) *echoCall {
	c := dialEchoErr(from, dst, callID)
	if c == nil {
		b.Fatalf("call %s not answered", callID)
	}
	return c
}

// dialEchoErr places a call to echo and ACKs its 200; nil if not answered
// within 10 s.
func dialEchoErr(from string, dst *net.UDPAddr, callID string) *echoCall {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(from)})
	if err != nil {
		return nil
	}
	rtpConn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(from)})
	if err != nil {
		conn.Close()
		return nil
	}
	c := &echoCall{conn: conn, rtpConn: rtpConn, dst: dst, callID: callID}
	local := conn.LocalAddr().String()
	msg := invite("echo", local, dst.String(), callID, rtpConn.LocalAddr().(*net.UDPAddr).Port)
	buf := make([]byte, 65536)
	deadline := time.Now().Add(10 * time.Second)
	next := time.Now()
	for time.Now().Before(deadline) {
		if time.Now().After(next) { // UDP retransmission, as Timer A would
			_, _ = conn.WriteTo([]byte(msg), dst)
			next = time.Now().Add(500 * time.Millisecond)
		}
		_ = conn.SetReadDeadline(next)
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			continue
		}
		m := string(buf[:n])
		if !strings.HasPrefix(m, "SIP/2.0 200") || !strings.Contains(m, "Call-ID: "+callID+"\r\n") {
			if strings.HasPrefix(m, "SIP/2.0 ") && !strings.HasPrefix(m, "SIP/2.0 1") {
				conn.Close()
				rtpConn.Close()
				return nil
			}
			continue
		}
		c.ok = m
		port, _ := strconv.Atoi(strings.Fields(between2(m, "m=audio ", "\r\n"))[0])
		c.remoteRTP = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}
		_, _ = conn.WriteTo([]byte(c.inDialog("ACK", 1)), dst)
		return c
	}
	conn.Close()
	rtpConn.Close()
	return nil
}

func (c *echoCall) inDialog(method string, cseq int) string {
	local := c.conn.LocalAddr().String()
	return method + " sip:echo@" + c.dst.String() + " SIP/2.0\r\nVia: SIP/2.0/UDP " + local + ";branch=z9hG4bK-" + c.callID + method + "\r\n" +
		"Max-Forwards: 70\r\nFrom: <sip:load@" + local + ">;tag=t-" + c.callID + "\r\nTo: " + between2(c.ok, "\r\nTo: ", "\r\n") + "\r\n" +
		"Call-ID: " + c.callID + "\r\nCSeq: " + strconv.Itoa(cseq) + " " + method + "\r\nContent-Length: 0\r\n\r\n"
}

func (c *echoCall) bye() {
	_, _ = c.conn.WriteTo([]byte(c.inDialog("BYE", 2)), c.dst)
	c.conn.Close()
	c.rtpConn.Close()
}

// rtp sends 50 packets/s until stop and counts the echoed ones.
func (c *echoCall) rtp(stop <-chan struct{}, sent, heard *atomic.Int64) {
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 1500)
		for {
			n, _, err := c.rtpConn.ReadFrom(buf)
			if err != nil {
				return
			}
			if n >= 12 {
				heard.Add(1)
			}
		}
	})
	pkt := make([]byte, 12+160)
	pkt[0], pkt[1] = 0x80, 0
	be.BigEndian.PutUint32(pkt[8:], 0x5eed)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for seq := 0; ; seq++ {
		select {
		case <-stop:
			time.Sleep(300 * time.Millisecond) // the last echoes in flight
			c.rtpConn.Close()
			wg.Wait()
			return
		case <-t.C:
		}
		be.BigEndian.PutUint16(pkt[2:], uint16(seq))
		be.BigEndian.PutUint32(pkt[4:], uint32(seq*160))
		for i := 12; i < len(pkt); i++ {
			pkt[i] = byte(0xff ^ (i+seq)&0x0f)
		}
		if _, err := c.rtpConn.WriteTo(pkt, c.remoteRTP); err == nil {
			sent.Add(1)
		}
	}
}
