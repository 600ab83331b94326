package rtpleg

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"

	"switchboard/media"
	"switchboard/media/tone"
)

func TestSRTPPolicyText(t *testing.T) {
	tests := []struct {
		in   string
		want SRTPPolicy
		ok   bool
	}{
		{"", SRTPOff, true}, {"off", SRTPOff, true}, {"Optional", SRTPOptional, true}, {"required", SRTPRequired, true},
		{"sometimes", SRTPUnknown, false},
	}
	for _, tt := range tests {
		got, err := ParseSRTPPolicy(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseSRTPPolicy(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if tt.ok && tt.in != "" {
			var p SRTPPolicy
			b, _ := got.MarshalText()
			if err := p.UnmarshalText(b); err != nil || p != got {
				t.Errorf("text round trip of %v = %v, %v", got, p, err)
			}
		}
	}
	if SRTPUnknown.String() != "unknown" {
		t.Errorf("SRTPUnknown.String() = %q", SRTPUnknown.String())
	}
}

// testKey is a fixed SDES master key and salt (30 bytes).
var testKey = []byte("0123456789abcdefghijklmnopqrst")

func savpOffer(addr netip.AddrPort, crypto ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=test 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/SAVP 0 101\r\n"+
		"a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n", addr.Addr(), addr.Addr(), addr.Port())
	for _, c := range crypto {
		b.WriteString("a=crypto:" + c + "\r\n")
	}
	return []byte(b.String())
}

func inline(key []byte) string { return "inline:" + base64.StdEncoding.EncodeToString(key) }

func TestSRTPAnswerErrors(t *testing.T) {
	peer := netip.MustParseAddrPort("127.0.0.1:4000")
	good := "1 AES_CM_128_HMAC_SHA1_80 " + inline(testKey)
	tests := []struct {
		name   string
		policy SRTPPolicy
		offer  []byte
		code   int
		reason string
	}{
		{"plain offer to required", SRTPRequired, sdpOffer(peer, "0"), 488, "SRTP required"},
		{"savp to off", SRTPOff, savpOffer(peer, good), 488, "transport"},
		{"savp to unset pool", SRTPUnknown, savpOffer(peer, good), 488, "transport"},
		{"savp without crypto", SRTPOptional, savpOffer(peer), 488, "a=crypto"},
		{"unknown suite only", SRTPOptional, savpOffer(peer, "1 AEAD_AES_256_GCM "+inline(testKey)), 488, "a=crypto"},
		{"mki only", SRTPOptional, savpOffer(peer, "1 AES_CM_128_HMAC_SHA1_80 "+inline(testKey)+"|2^20|1:4"), 488, "a=crypto"},
		{"short key", SRTPOptional, savpOffer(peer, "1 AES_CM_128_HMAC_SHA1_80 "+inline(testKey[:20])), 488, "a=crypto"},
		{"session params only", SRTPOptional, savpOffer(peer, good+" KDR=1"), 488, "a=crypto"},
		{"malformed crypto", SRTPOptional, savpOffer(peer, "1 AES_CM_128_HMAC_SHA1_80"), 400, "a=crypto"},
		{"bad base64", SRTPOptional, savpOffer(peer, "1 AES_CM_128_HMAC_SHA1_80 inline:%%%"), 400, "key"},
		{"bad key method", SRTPOptional, savpOffer(peer, "1 AES_CM_128_HMAC_SHA1_80 uri:x"), 400, "key method"},
	}
	pool := newTestPool(t, -1)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := openLeg(t, pool)
			l.SetSRTPPolicy(tt.policy)
			_, err := l.Answer(tt.offer)
			var se *SDPError
			if !errors.As(err, &se) || se.Code != tt.code || !strings.Contains(se.Reason, tt.reason) {
				t.Fatalf("Answer = %v, want %d with %q", err, tt.code, tt.reason)
			}
			if l.Codec() != media.CodecUnknown || l.SRTP() != "" {
				t.Errorf("a refused offer changed the leg: codec %v srtp %q", l.Codec(), l.SRTP())
			}
		})
	}
}

// TestSRTPAnswerOnTheWire: an RTP/SAVP offer with a=crypto is answered
// RTP/SAVP with our own key; what the leg sends decrypts (and
// authenticates) with that key and is not the plain packet; what the peer
// sends with its key reaches the sink.
func TestSRTPAnswerOnTheWire(t *testing.T) {
	for _, suite := range []string{suite80, suite32} {
		t.Run(suite, func(t *testing.T) {
			peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer peer.Close()
			pa := peer.LocalAddr().(*net.UDPAddr).AddrPort()
			l := openLeg(t, newTestPool(t, -1))
			l.SetSRTPPolicy(SRTPOptional)
			ans, err := l.Answer(savpOffer(pa, "7 "+suite+" "+inline(testKey), "8 AES_CM_128_HMAC_SHA1_80 "+inline(testKey)))
			if err != nil {
				t.Fatal(err)
			}
			key := answerKey(t, ans, "7 "+suite)
			if l.SRTP() != suite || !bytes.Contains(ans, []byte("m=audio "+fmt.Sprint(l.LocalAddr().Port())+" RTP/SAVP 0 101")) {
				t.Fatalf("answer (srtp %q):\n%s", l.SRTP(), ans)
			}
			rec := &recorder{}
			l.Start(rec)
			prof, _ := suiteProfile(suite)

			// Gateway -> peer: decrypt with the key of the answer.
			rx, err := srtp.CreateContext(key[:16], key[16:], prof)
			if err != nil {
				t.Fatal(err)
			}
			payload := bytes.Repeat([]byte{0x55}, media.FrameSamples)
			if err := l.WritePacket(&media.Packet{Payload: payload, Codec: media.PCMU}); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 1500)
			_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, _, err := peer.ReadFromUDPAddrPort(buf)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(buf[:n], payload[:32]) {
				t.Error("the payload went out in the clear")
			}
			var h rtp.Header
			plain, err := rx.DecryptRTP(nil, buf[:n], &h)
			if err != nil {
				t.Fatalf("decrypt with the answer's key: %v", err)
			}
			if !bytes.Equal(plain[len(plain)-len(payload):], payload) {
				t.Error("decrypted payload differs")
			}

			// Peer -> gateway: encrypted with the offer's key, heard by the sink.
			tx, err := srtp.CreateContext(testKey[:16], testKey[16:], prof)
			if err != nil {
				t.Fatal(err)
			}
			sine := tone.Sine{Freq: 1000}
			var pcm [media.FrameSamples]int16
			var enc [media.FrameSamples]byte
			for i := range 50 {
				sine.Fill(pcm[:])
				p := rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 42, SequenceNumber: uint16(i), Timestamp: uint32(i * 160)}, Payload: media.Encode(media.PCMU, enc[:], pcm[:])}
				raw, _ := p.Marshal()
				out, err := tx.EncryptRTP(nil, raw, nil)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := peer.WriteToUDPAddrPort(out, l.LocalAddr()); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, "1 kHz through SRTP", 5*time.Second, func() bool { return tone.Ratio(rec.last(1600), 1000) > 0.9 })
			// A packet that does not authenticate is dropped and counted.
			waitFor(t, "all 50 packets", 5*time.Second, func() bool { return rec.packets() == 50 })
			junk := append([]byte{0x80, 0, 0, 99, 0, 0, 0, 1, 0, 0, 0, 42}, bytes.Repeat([]byte{1}, 170)...)
			before := rec.packets()
			_, _ = peer.WriteToUDPAddrPort(junk, l.LocalAddr())
			waitFor(t, "srtp failure counted", 5*time.Second, func() bool { return l.SRTPFailures() >= 1 })
			if rec.packets() != before {
				t.Error("an unauthenticated packet reached the sink")
			}
		})
	}
}

// answerKey returns the inline key of the a=crypto line starting with prefix.
func answerKey(t *testing.T, desc []byte, prefix string) []byte {
	t.Helper()
	for l := range strings.SplitSeq(string(desc), "\r\n") {
		if v, ok := strings.CutPrefix(l, "a=crypto:"+prefix+" inline:"); ok {
			k, err := base64.StdEncoding.DecodeString(v)
			if err != nil || len(k) != keyLen {
				t.Fatalf("answer key %q: %v", v, err)
			}
			return k
		}
	}
	t.Fatalf("no a=crypto:%s in\n%s", prefix, desc)
	return nil
}

// TestSRTPOfferRequired: a leg under SRTPRequired offers RTP/SAVP with both
// suites; two legs agree and carry a tone.
func TestSRTPOfferRequired(t *testing.T) {
	pool := newTestPool(t, -1)
	a, b := openLeg(t, pool), openLeg(t, pool)
	a.SetSRTPPolicy(SRTPRequired)
	b.SetSRTPPolicy(SRTPOptional)
	offer := a.Offer()
	if !bytes.Contains(offer, []byte(" RTP/SAVP 0 8 101")) || bytes.Count(offer, []byte("a=crypto:")) != 2 {
		t.Fatalf("required offer:\n%s", offer)
	}
	connect(t, a, b, "")
	if a.SRTP() != suite80 || b.SRTP() != suite80 {
		t.Fatalf("suites = %q, %q; want %s", a.SRTP(), b.SRTP(), suite80)
	}
	rec := &recorder{}
	b.Start(rec)
	a.Start(nil)
	pl := playTone(t, a, media.PCMU, 700)
	defer pl.Stop()
	waitFor(t, "700 Hz a->b over SRTP", 5*time.Second, func() bool { return tone.Ratio(rec.last(1600), 700) > 0.9 })
	if b.SRTPFailures() != 0 {
		t.Errorf("b counted %d SRTP failures", b.SRTPFailures())
	}
	// A plain answer to the SAVP offer is refused.
	c := openLeg(t, pool)
	c.SetSRTPPolicy(SRTPRequired)
	c.Offer()
	if err := c.SetAnswer(sdpOffer(netip.MustParseAddrPort("127.0.0.1:4000"), "0")); err == nil {
		t.Error("a plain answer to a required SRTP offer was accepted")
	}
}

// TestSRTPHotPathAllocs: with SRTP the receive and send paths still make
// no allocation per packet.
func TestSRTPHotPathAllocs(t *testing.T) {
	l, tx, pkts, src := srtpBenchLeg(t, 2000)
	_ = tx
	r := new(receiver)
	i := 0
	if a := testing.AllocsPerRun(1000, func() { l.handle(r, pkts[i], src); i++ }); a != 0 {
		t.Errorf("SRTP receive path: %v allocs/packet", a)
	}
	if l.SRTPFailures() != 0 || l.Stats().PacketsIn < 1000 {
		t.Fatalf("receive path did not run: %d failures, %+v", l.SRTPFailures(), l.Stats())
	}
	p := &media.Packet{Payload: make([]byte, media.FrameSamples), Codec: media.PCMA}
	if a := testing.AllocsPerRun(1000, func() { _ = l.WritePacket(p) }); a != 0 {
		t.Errorf("SRTP send path: %v allocs/packet", a)
	}
}

// srtpBenchLeg answers an SRTP offer from a capture peer and returns n
// SRTP packets from it, encrypted ahead (so the measured loop only
// decrypts).
func srtpBenchLeg(t testing.TB, n int) (*Leg, *srtp.Context, [][]byte, netip.AddrPort) {
	// A peer that reads nothing, as in benchLeg: the measured cost is the leg's.
	peer, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = peer.Close() })
	pa := peer.LocalAddr().(*net.UDPAddr).AddrPort()
	l := openLeg(t, newTestPool(t, -1))
	l.SetSRTPPolicy(SRTPRequired)
	if _, err := l.Answer(savpOffer(pa, "1 "+suite80+" "+inline(testKey))); err != nil {
		t.Fatal(err)
	}
	l.SetSink(media.Discard)
	tx, err := srtp.CreateContext(testKey[:16], testKey[16:], srtp.ProtectionProfileAes128CmHmacSha1_80)
	if err != nil {
		t.Fatal(err)
	}
	pkts := make([][]byte, n)
	for i := range pkts {
		p := rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 7, SequenceNumber: uint16(i), Timestamp: uint32(i * 160)}, Payload: make([]byte, 160)}
		raw, _ := p.Marshal()
		if pkts[i], err = tx.EncryptRTP(nil, raw, nil); err != nil {
			t.Fatal(err)
		}
	}
	return l, tx, pkts, pa
}

// BenchmarkSRTP measures the SRTP cost per packet on a trunk leg: the
// send path (marshal, encrypt, sendto) and the receive handler (decrypt,
// parse, sink), to compare with BenchmarkSend and BenchmarkReceiveHandle.
func BenchmarkSRTP(b *testing.B) {
	b.Run("send", func(b *testing.B) {
		l, _, _, _ := srtpBenchLeg(b, 1)
		benchWrites(b, l, media.PCMU)
	})
	b.Run("receive-handle", func(b *testing.B) {
		const ring = 1 << 16 // one full sequence cycle of distinct packets
		l, _, pkts, src := srtpBenchLeg(b, ring)
		r := new(receiver)
		buf := make([]byte, 1500)
		b.ReportAllocs()
		start, n := time.Now(), 0
		for b.Loop() {
			if n > 0 && n%ring == 0 {
				// The sequence wrapped: a fresh receive context, so the
				// replay window does not turn the next round into failures.
				b.StopTimer()
				s := l.sec.cur.Load()
				fresh, err := newSession(s.local, s.remote)
				if err != nil {
					b.Fatal(err)
				}
				l.sec.cur.Store(fresh)
				b.StartTimer()
			}
			// handle decrypts in place: hand it a copy of the next packet.
			k := copy(buf, pkts[n%ring])
			n++
			l.handle(r, buf[:k], src)
		}
		b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(n), "ns/packet")
		if l.SRTPFailures() != 0 {
			b.Fatalf("%d SRTP failures", l.SRTPFailures())
		}
	})
}

// TestSRTPReoffer: a re-INVITE with the same key keeps the session (our
// key, the rollover counters); a new key starts a new one; a plain
// re-offer under optional drops SRTP.
func TestSRTPReoffer(t *testing.T) {
	peer := netip.MustParseAddrPort("127.0.0.1:4000")
	l := openLeg(t, newTestPool(t, -1))
	l.SetSRTPPolicy(SRTPOptional)
	line := "1 " + suite80 + " " + inline(testKey)
	a1, err := l.Answer(savpOffer(peer, line))
	if err != nil {
		t.Fatal(err)
	}
	s1 := l.sec.cur.Load()
	a2, err := l.Answer(savpOffer(peer, line))
	if err != nil {
		t.Fatal(err)
	}
	if l.sec.cur.Load() != s1 || !bytes.Equal(answerKey(t, a1, "1 "+suite80), answerKey(t, a2, "1 "+suite80)) {
		t.Error("a re-offer with the same key started a new SRTP session")
	}
	other := bytes.Repeat([]byte{7}, keyLen)
	a3, err := l.Answer(savpOffer(peer, "3 "+suite32+" "+inline(other)))
	if err != nil {
		t.Fatal(err)
	}
	if l.sec.cur.Load() == s1 || l.SRTP() != suite32 || bytes.Equal(answerKey(t, a3, "3 "+suite32), answerKey(t, a1, "1 "+suite80)) {
		t.Errorf("a re-offer with a new key kept the old session (suite %q)", l.SRTP())
	}
	if _, err := l.Answer(sdpOffer(peer, "0")); err != nil || l.SRTP() != "" {
		t.Errorf("plain re-offer under optional: %v, srtp %q; want plain RTP", err, l.SRTP())
	}
}

// FuzzAnswerSRTP feeds arbitrary offers to a leg under SRTPOptional. It
// must never panic; an answer to an RTP/SAVP offer must itself parse as
// RTP/SAVP with exactly one usable a=crypto line (our key) and leave the
// leg on that suite; an answer to a plain offer carries no a=crypto.
func FuzzAnswerSRTP(f *testing.F) {
	f.Add(offerText(c127, "m=audio 4000 RTP/SAVP 0 101", "a=rtpmap:101 telephone-event/8000", "a=crypto:1 "+suite80+" "+inline(testKey)))
	f.Add(offerText(c127, "m=audio 4000 RTP/SAVP 8", "a=crypto:2 "+suite32+" "+inline(testKey)+"|2^31", "a=crypto:3 "+suite80+" "+inline(testKey)+"|2^20|1:4"))
	f.Add(offerText(c127, "m=audio 4000 RTP/AVP 0", "a=crypto:1 "+suite80+" "+inline(testKey)))
	f.Add(offerText(c127, "m=audio 4000 RTP/SAVPF 0", "a=crypto:9 "+suite80+" "+inline(testKey)+";inline:"+base64.StdEncoding.EncodeToString(testKey)))
	leg := openLeg(f, newTestPool(f, 0))
	leg.SetSRTPPolicy(SRTPOptional)
	f.Fuzz(func(t *testing.T, offer []byte) {
		in, perr := parseRemote(offer)
		ans, err := leg.Answer(offer)
		if err != nil {
			var se *SDPError
			if !errors.As(err, &se) || (se.Code != 400 && se.Code != 488) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if perr != nil {
			t.Fatalf("answered an offer that does not parse: %v", perr)
		}
		r, err := parseRemote(ans)
		if err != nil {
			t.Fatalf("our answer does not parse: %v\n%s", err, ans)
		}
		if !in.sdes.secure {
			if bytes.Contains(ans, []byte("a=crypto")) || leg.SRTP() != "" {
				t.Fatalf("plain offer answered with SRTP:\n%s", ans)
			}
			return
		}
		if !r.sdes.secure || len(r.sdes.crypto) != 1 || r.sdes.crypto[0].suite != leg.SRTP() || r.sdes.crypto[0].tag != in.sdes.crypto[0].tag {
			t.Fatalf("SRTP answer %+v (leg %q) to %+v:\n%s", r.sdes, leg.SRTP(), in.sdes, ans)
		}
	})
}
