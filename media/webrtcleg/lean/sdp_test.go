package lean

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/pion/sdp/v3"

	"switchboard/media"
	"switchboard/media/browserleg"
)

// chromeAddr is the answer address the fuzzer writes.
var chromeAddr = netip.MustParseAddrPort("127.0.0.1:40000")

// chromeOffer is the shape of a Chrome audio-only offer (one m-line, BUNDLE,
// DTLS-SRTP, rtcp-mux), CRLF line ends.
var chromeOffer = strings.ReplaceAll(`v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0
a=extmap-allow-mixed
a=msid-semantic: WMS
m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8 126
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:Xb3k
a=ice-pwd:ZJx1HwCBbhB2ZlkZm1nvA6Uq
a=ice-options:trickle
a=fingerprint:sha-256 8B:87:09:8A:5D:C2:F3:33:EF:C5:B1:F6:84:3A:3D:D6:A3:E2:9C:17:4C:E7:46:3B:1B:CE:84:98:DD:8E:AF:7B
a=setup:actpass
a=mid:0
a=sendrecv
a=msid:- 1d1a7b0e-6d8f-4a4d-9c36-0f4b0a38a0b1
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:126 telephone-event/8000
a=ssrc:1001 cname:abc
`, "\n", "\r\n")

// TestParseOfferGroupLines: an empty or semantics-only a=group: line is not
// a bundle and does not panic (it did: f[1:] of no fields); a BUNDLE naming
// the audio mid is.
func TestParseOfferGroupLines(t *testing.T) {
	for _, tc := range []struct {
		name, group string
		bundle      bool
	}{
		{"empty", "a=group:", false},
		{"spaces", "a=group:   ", false},
		{"semantics only", "a=group:BUNDLE", false},
		{"other mid", "a=group:BUNDLE 1", false},
		{"LS", "a=group:LS 0", false},
		{"bundle", "a=group:BUNDLE 0", true},
		{"bundle second", "a=group:BUNDLE 1 0", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := strings.Replace(chromeOffer, "a=group:BUNDLE 0", tc.group, 1)
			o, err := parseOffer([]byte(raw))
			if err != nil {
				t.Fatalf("parseOffer: %v", err)
			}
			if o.bundle != tc.bundle {
				t.Errorf("parseOffer(%q).bundle = %v, want %v", tc.group, o.bundle, tc.bundle)
			}
		})
	}
}

// FuzzParseOffer feeds arbitrary offers to the lean SDP parser. It must never
// panic; a failure must be a *browserleg.OfferError wrapping one of the
// engine's sentinels; a success must have a G.711 payload type and ICE
// credentials, and its answer must parse as SDP with one audio section on
// our port, in the reverse direction. Seeds: testdata/fuzz/FuzzParseOffer.
func FuzzParseOffer(f *testing.F) {
	f.Add([]byte(chromeOffer))
	f.Add([]byte(strings.Replace(chromeOffer, "a=group:BUNDLE 0", "a=group:", 1)))
	f.Add([]byte(strings.Replace(chromeOffer, "a=sendrecv", "a=sendonly", 1)))
	f.Add([]byte(strings.Replace(chromeOffer, "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8 126", "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nm=audio 9 UDP/TLS/RTP/SAVPF 8", 1)))
	f.Fuzz(func(t *testing.T, raw []byte) {
		o, err := parseOffer(raw)
		if err != nil {
			var oe *browserleg.OfferError
			if !errors.As(err, &oe) || oe.Reason == "" {
				t.Fatalf("error %v is not an *OfferError with a reason", err)
			}
			if !errors.Is(err, browserleg.ErrInvalidOffer) && !errors.Is(err, browserleg.ErrNoAudio) && !errors.Is(err, browserleg.ErrNoCommonCodec) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
			return
		}
		if o.ufrag == "" || o.pwd == "" || (o.ptPCMU < 0 && o.ptPCMA < 0) || o.audioIndex < 0 || len(o.fingerprints) == 0 {
			t.Fatalf("accepted offer lacks what a leg needs: %+v", o)
		}
		codec, pt, other := media.PCMU, o.ptPCMU, o.ptPCMA
		if o.first == media.PCMA {
			codec, pt, other = media.PCMA, o.ptPCMA, o.ptPCMU
		}
		ans := o.answer(answerParams{
			addr: chromeAddr, ufrag: "gw01", pwd: "0123456789012345678901",
			fingerprint: "sha-256 00:11", codec: codec, pt: pt, otherPT: other, ssrc: 1, sessionID: 2,
		})
		var sd sdp.SessionDescription
		if err := sd.Unmarshal(ans); err != nil {
			t.Fatalf("our answer does not parse: %v\n%s", err, ans)
		}
		if len(sd.MediaDescriptions) != len(o.media) {
			t.Fatalf("answer has %d sections, offer %d", len(sd.MediaDescriptions), len(o.media))
		}
		md := sd.MediaDescriptions[o.audioIndex]
		if md.MediaName.Port.Value != int(chromeAddr.Port()) {
			t.Fatalf("audio answered on port %d", md.MediaName.Port.Value)
		}
		want := map[string]string{"sendrecv": "sendrecv", "sendonly": "recvonly", "recvonly": "sendonly", "inactive": "inactive"}[o.direction]
		if _, ok := md.Attribute(want); !ok {
			t.Fatalf("offer %s answered without a=%s:\n%s", o.direction, want, ans)
		}
	})
}
