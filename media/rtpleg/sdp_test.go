package rtpleg

import (
	"errors"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"switchboard/media"
)

// offerText builds an offer from session-level and media-level lines.
// Session-level a= lines go after t= (RFC 4566 §5 order).
func offerText(session, mline string, media ...string) []byte {
	var c, a string
	for line := range strings.SplitAfterSeq(session, "\r\n") {
		if strings.HasPrefix(line, "a=") {
			a += line
		} else {
			c += line
		}
	}
	s := "v=0\r\no=carrier 42 7 IN IP4 192.0.2.10\r\ns=call\r\n" + c + "t=0 0\r\n" + a + mline + "\r\n"
	for _, m := range media {
		s += m + "\r\n"
	}
	return []byte(s)
}

const c127 = "c=IN IP4 127.0.0.1\r\n"

func TestAnswerNegotiation(t *testing.T) {
	tests := []struct {
		name      string
		offer     []byte
		codec     media.Codec
		mline     string // expected m=audio line of the answer, port replaced by PORT
		dir       string // our direction
		wantLines []string
		remote    string
	}{
		{name: "PCMU preferred", offer: offerText(c127, "m=audio 4000 RTP/AVP 0 8"),
			codec: media.PCMU, mline: "m=audio PORT RTP/AVP 0", dir: "sendrecv", remote: "127.0.0.1:4000",
			wantLines: []string{"a=rtpmap:0 PCMU/8000", "a=ptime:20", "a=sendrecv"}},
		{name: "PCMA preferred by order", offer: offerText(c127, "m=audio 4000 RTP/AVP 8 0"),
			codec: media.PCMA, mline: "m=audio PORT RTP/AVP 8", dir: "sendrecv"},
		{name: "PCMA only", offer: offerText(c127, "m=audio 4000 RTP/AVP 8", "a=rtpmap:8 PCMA/8000"),
			codec: media.PCMA, mline: "m=audio PORT RTP/AVP 8", dir: "sendrecv", wantLines: []string{"a=rtpmap:8 PCMA/8000"}},
		{name: "unknown codecs skipped", offer: offerText(c127, "m=audio 4000 RTP/AVP 18 9 96 8", "a=rtpmap:96 opus/48000/2"),
			codec: media.PCMA, mline: "m=audio PORT RTP/AVP 8", dir: "sendrecv"},
		{name: "telephone-event PT kept", offer: offerText(c127, "m=audio 4000 RTP/AVP 0 96", "a=rtpmap:96 telephone-event/8000", "a=fmtp:96 0-15"),
			codec: media.PCMU, mline: "m=audio PORT RTP/AVP 0 96", dir: "sendrecv",
			wantLines: []string{"a=rtpmap:96 telephone-event/8000", "a=fmtp:96 0-16"}},
		{name: "telephone-event at 48 kHz ignored", offer: offerText(c127, "m=audio 4000 RTP/AVP 0 101", "a=rtpmap:101 telephone-event/48000"),
			codec: media.PCMU, mline: "m=audio PORT RTP/AVP 0", dir: "sendrecv"},
		{name: "dynamic PT for PCMU", offer: offerText(c127, "m=audio 4000 RTP/AVP 97", "a=rtpmap:97 pcmu/8000"),
			codec: media.PCMU, mline: "m=audio PORT RTP/AVP 97", dir: "sendrecv"},
		{name: "sendonly offer", offer: offerText(c127, "m=audio 4000 RTP/AVP 0", "a=sendonly"),
			codec: media.PCMU, mline: "m=audio PORT RTP/AVP 0", dir: "recvonly", wantLines: []string{"a=recvonly"}},
		{name: "recvonly offer", offer: offerText(c127, "m=audio 4000 RTP/AVP 0", "a=recvonly"),
			codec: media.PCMU, mline: "m=audio PORT RTP/AVP 0", dir: "sendonly", wantLines: []string{"a=sendonly"}},
		{name: "inactive offer", offer: offerText(c127, "m=audio 4000 RTP/AVP 0", "a=inactive"),
			codec: media.PCMU, mline: "m=audio PORT RTP/AVP 0", dir: "inactive", wantLines: []string{"a=inactive"}},
		{name: "session-level direction", offer: offerText(c127+"a=sendonly\r\n", "m=audio 4000 RTP/AVP 0"),
			codec: media.PCMU, mline: "m=audio PORT RTP/AVP 0", dir: "recvonly"},
		{name: "media-level direction wins", offer: offerText(c127+"a=sendonly\r\n", "m=audio 4000 RTP/AVP 0", "a=sendrecv"),
			codec: media.PCMU, mline: "m=audio PORT RTP/AVP 0", dir: "sendrecv"},
		{name: "c= at media level only", offer: offerText("", "m=audio 4002 RTP/AVP 0", "c=IN IP4 127.0.0.2"),
			codec: media.PCMU, mline: "m=audio PORT RTP/AVP 0", dir: "sendrecv", remote: "127.0.0.2:4002"},
		{name: "c= media level wins", offer: offerText("c=IN IP4 198.51.100.1\r\n", "m=audio 4002 RTP/AVP 0", "c=IN IP4 127.0.0.3"),
			codec: media.PCMU, mline: "m=audio PORT RTP/AVP 0", dir: "sendrecv", remote: "127.0.0.3:4002"},
		{name: "video rejected, audio second", offer: offerText(c127, "m=video 5000 RTP/AVP 96", "a=rtpmap:96 VP8/90000", "m=audio 4000 RTP/AVP 0"),
			codec: media.PCMU, mline: "m=audio PORT RTP/AVP 0", dir: "sendrecv", wantLines: []string{"m=video 0 RTP/AVP 96"}},
		{name: "bare LF line ends", offer: []byte("v=0\no=x 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 4000 RTP/AVP 8\n"),
			codec: media.PCMA, mline: "m=audio PORT RTP/AVP 8", dir: "sendrecv"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := openLeg(t, newTestPool(t, 0))
			ans, err := l.Answer(tc.offer)
			if err != nil {
				t.Fatalf("Answer() error %v\n%s", err, tc.offer)
			}
			text := string(ans)
			wantM := strings.Replace(tc.mline, "PORT", itoa(int(l.LocalAddr().Port())), 1)
			lines := strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n")
			if !contains(lines, wantM) {
				t.Errorf("answer lacks %q:\n%s", wantM, text)
			}
			for _, w := range tc.wantLines {
				if !contains(lines, w) {
					t.Errorf("answer lacks %q:\n%s", w, text)
				}
			}
			if !contains(lines, "c=IN IP4 127.0.0.1") {
				t.Errorf("answer lacks our c= line:\n%s", text)
			}
			if got := l.Codec(); got != tc.codec {
				t.Errorf("Codec() = %v, want %v", got, tc.codec)
			}
			if got := l.Direction(); got != tc.dir {
				t.Errorf("Direction() = %q, want %q", got, tc.dir)
			}
			if tc.remote != "" && l.RemoteAddr().String() != tc.remote {
				t.Errorf("RemoteAddr() = %v, want %v", l.RemoteAddr(), tc.remote)
			}
			// Our answer must itself be acceptable SDP with the same verdict.
			r, err := parseRemote(ans)
			if err != nil {
				t.Fatalf("answer does not parse: %v\n%s", err, text)
			}
			if r.codec != tc.codec || r.dir.String() != tc.dir {
				t.Errorf("answer parses as %v %v, want %v %v", r.codec, r.dir, tc.codec, tc.dir)
			}
		})
	}
}

func TestAnswerErrors(t *testing.T) {
	tests := []struct {
		name   string
		offer  []byte
		code   int
		reason string // regexp the reason must match
	}{
		{"no common codec", offerText(c127, "m=audio 4000 RTP/AVP 18 9", "a=rtpmap:18 G729/8000"), 488, "no common codec"},
		{"telephone-event only", offerText(c127, "m=audio 4000 RTP/AVP 101", "a=rtpmap:101 telephone-event/8000"), 488, "no common codec"},
		{"PCMU at 16 kHz", offerText(c127, "m=audio 4000 RTP/AVP 96", "a=rtpmap:96 PCMU/16000"), 488, "no common codec"},
		{"PT 0 remapped to another codec", offerText(c127, "m=audio 4000 RTP/AVP 0", "a=rtpmap:0 G722/8000"), 488, "no common codec"},
		{"video only", offerText(c127, "m=video 4000 RTP/AVP 96", "a=rtpmap:96 VP8/90000"), 488, "no audio"},
		{"audio rejected with port 0", offerText(c127, "m=audio 0 RTP/AVP 0"), 488, "no audio"},
		{"SRTP only", offerText(c127, "m=audio 4000 RTP/SAVP 0"), 488, "transport"},
		{"WebRTC transport", offerText(c127, "m=audio 9 UDP/TLS/RTP/SAVPF 0"), 488, "transport"},
		{"IPv6 media", offerText("c=IN IP6 ::1\r\n", "m=audio 4000 RTP/AVP 0"), 488, "IPv6"},
		{"multicast", offerText("c=IN IP4 224.2.1.1/127\r\n", "m=audio 4000 RTP/AVP 0"), 488, "multicast"},
		{"empty", nil, 400, "^malformed SDP: empty body$"},
		{"whitespace", []byte("\r\n \r\n"), 400, "^malformed SDP: empty body$"},
		{"not SDP", []byte("hello world"), 400, "^malformed SDP: "},
		{"missing c= line", offerText("", "m=audio 4000 RTP/AVP 0"), 400, "^malformed SDP: missing c= line$"},
		{"missing m= line", offerText(c127, "a=sendrecv"), 400, "^malformed SDP: missing m= line$"},
		{"bad c= address", offerText("c=IN IP4 999.1.2.3\r\n", "m=audio 4000 RTP/AVP 0"), 400, "^malformed SDP: bad c= address$"},
		{"c= without address", offerText("c=IN IP4\r\n", "m=audio 4000 RTP/AVP 0"), 400, "^malformed SDP: "},
		{"bad rtpmap", offerText(c127, "m=audio 4000 RTP/AVP 0", "a=rtpmap:0"), 400, "^malformed SDP: bad a=rtpmap$"},
		{"bad rtpmap rate", offerText(c127, "m=audio 4000 RTP/AVP 0", "a=rtpmap:0 PCMU/x"), 400, "^malformed SDP: bad a=rtpmap$"},
		{"bad payload type", offerText(c127, "m=audio 4000 RTP/AVP zero"), 400, "^malformed SDP: bad payload type"},
		{"payload type too big", offerText(c127, "m=audio 4000 RTP/AVP 200"), 400, "^malformed SDP: bad payload type"},
		{"no formats", offerText(c127, "m=audio 4000 RTP/AVP"), 400, "^malformed SDP: "},
		{"port out of range", offerText(c127, "m=audio 70000 RTP/AVP 0"), 400, "^malformed SDP: "},
		{"missing o= line", []byte("v=0\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"), 400, "^malformed SDP: "},
		{"missing v= line", []byte("o=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"), 400, "^malformed SDP: "},
		{"version 1", []byte("v=1\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"), 400, "^malformed SDP: "},
		{"binary garbage", []byte("v=0\r\no=\x00\xff\x01 1 1 IN IP4 1.2.3.4\r\n"), 400, "^malformed SDP: [ -~]*$"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := openLeg(t, newTestPool(t, 0))
			ans, err := l.Answer(tc.offer)
			if err == nil {
				t.Fatalf("Answer() = %q, want error %d", ans, tc.code)
			}
			var se *SDPError
			if !errors.As(err, &se) {
				t.Fatalf("Answer() error %v is not *SDPError", err)
			}
			code, reason := se.SIPStatus()
			if code != tc.code || !regexp.MustCompile(tc.reason).MatchString(reason) {
				t.Errorf("SIPStatus() = %d %q, want %d matching %q", code, reason, tc.code, tc.reason)
			}
			if strings.ContainsAny(reason, "\r\n") {
				t.Errorf("reason %q spans lines", reason)
			}
			if l.Codec() != media.CodecUnknown {
				t.Errorf("a failed negotiation changed the codec to %v", l.Codec())
			}
		})
	}
}

// TestReOffer answers a re-INVITE sequence: hold (sendonly), inactive, back
// to sendrecv with a new address. Same session, version incremented.
func TestReOffer(t *testing.T) {
	l := openLeg(t, newTestPool(t, 0))
	steps := []struct {
		offer  []byte
		dir    string
		remote string
	}{
		{offerText(c127, "m=audio 4000 RTP/AVP 0 101", "a=rtpmap:101 telephone-event/8000"), "sendrecv", "127.0.0.1:4000"},
		{offerText(c127, "m=audio 4000 RTP/AVP 0 101", "a=rtpmap:101 telephone-event/8000", "a=sendonly"), "recvonly", "127.0.0.1:4000"},
		{offerText(c127, "m=audio 4000 RTP/AVP 0", "a=inactive"), "inactive", "127.0.0.1:4000"},
		{offerText(c127, "m=audio 4000 RTP/AVP 8", "a=recvonly"), "sendonly", "127.0.0.1:4000"},
		{offerText("c=IN IP4 127.0.0.9\r\n", "m=audio 4100 RTP/AVP 8 0"), "sendrecv", "127.0.0.9:4100"},
	}
	var sess, prevVer string
	for i, s := range steps {
		ans, err := l.Answer(s.offer)
		if err != nil {
			t.Fatalf("step %d: Answer: %v", i, err)
		}
		o := regexp.MustCompile(`(?m)^o=switchboard (\d+) (\d+) IN IP4 127\.0\.0\.1\r$`).FindStringSubmatch(string(ans))
		if o == nil {
			t.Fatalf("step %d: no o= line in\n%s", i, ans)
		}
		if i > 0 {
			if o[1] != sess {
				t.Errorf("step %d: session id %s, want %s", i, o[1], sess)
			}
			if !versionNext(prevVer, o[2]) {
				t.Errorf("step %d: version %s after %s, want incremented", i, o[2], prevVer)
			}
		}
		sess, prevVer = o[1], o[2]
		if l.Direction() != s.dir || !strings.Contains(string(ans), "a="+s.dir+"\r\n") {
			t.Errorf("step %d: Direction() = %s, want %s in\n%s", i, l.Direction(), s.dir, ans)
		}
		if got := l.RemoteAddr().String(); got != s.remote {
			t.Errorf("step %d: RemoteAddr() = %s, want %s", i, got, s.remote)
		}
	}
	if l.Codec() != media.PCMA {
		t.Errorf("Codec() = %v after re-offer of PCMA first, want PCMA", l.Codec())
	}
}

func TestOfferSetAnswer(t *testing.T) {
	l := openLeg(t, newTestPool(t, 0))
	if err := l.SetAnswer(offerText(c127, "m=audio 4000 RTP/AVP 0")); err == nil {
		t.Error("SetAnswer without Offer succeeded")
	}
	offer := string(l.Offer())
	for _, w := range []string{"m=audio " + itoa(int(l.LocalAddr().Port())) + " RTP/AVP 0 8 101", "a=rtpmap:0 PCMU/8000",
		"a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000", "a=ptime:20", "a=sendrecv", "c=IN IP4 127.0.0.1"} {
		if !strings.Contains(offer, w+"\r\n") {
			t.Errorf("offer lacks %q:\n%s", w, offer)
		}
	}
	if err := l.SetAnswer(offerText(c127, "m=audio 4000 RTP/AVP 9")); err == nil {
		t.Error("SetAnswer with G722 succeeded")
	}
	if err := l.SetAnswer(offerText(c127, "m=audio 4000 RTP/AVP 8 101", "a=rtpmap:101 telephone-event/8000", "a=recvonly")); err != nil {
		t.Fatalf("SetAnswer: %v", err)
	}
	if l.Codec() != media.PCMA || l.Direction() != "sendonly" || l.RemoteAddr() != netip.MustParseAddrPort("127.0.0.1:4000") {
		t.Errorf("after SetAnswer: %v %s %v", l.Codec(), l.Direction(), l.RemoteAddr())
	}
}

func TestConfigValidate(t *testing.T) {
	ip := netip.MustParseAddr("127.0.0.1")
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"defaults", Config{IP: ip}, true},
		{"range", Config{IP: ip, PortMin: 20000, PortMax: 20001}, true},
		{"no IP", Config{}, false},
		{"unspecified", Config{IP: netip.IPv4Unspecified()}, false},
		{"IPv6", Config{IP: netip.MustParseAddr("::1")}, false},
		{"reversed", Config{IP: ip, PortMin: 20000, PortMax: 10000}, false},
		{"too high", Config{IP: ip, PortMin: 60000, PortMax: 70000}, false},
		{"one odd port", Config{IP: ip, PortMin: 10001, PortMax: 10001}, false},
		{"min only", Config{IP: ip, PortMin: 0, PortMax: 5}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate(%+v) = %v, want ok=%v", tc.cfg, err, tc.ok)
			}
		})
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

func itoa(n int) string { return strconvItoa(n) }

func versionNext(prev, cur string) bool {
	p, err1 := strconvParse(prev)
	c, err2 := strconvParse(cur)
	return err1 == nil && err2 == nil && c == p+1
}
