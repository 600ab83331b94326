package rtpleg

import (
	"errors"
	"strings"
	"testing"
)

// FuzzAnswer feeds arbitrary offers to Answer. It must never panic; a
// failure must be an *SDPError with 400 or 488 and a one-line printable
// reason; a success must produce an answer that itself negotiates to the
// same codec and the reverse direction, and leave the leg in that state.
// Seeds: testdata/fuzz/FuzzAnswer.
func FuzzAnswer(f *testing.F) {
	f.Add(offerText(c127, "m=audio 4000 RTP/AVP 0 8 101", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=ptime:20"))
	f.Add(offerText(c127, "m=audio 4000 RTP/AVP 8", "a=sendonly"))
	f.Add(offerText("", "m=audio 4000 RTP/AVP 0", "c=IN IP4 10.0.0.1"))
	pool := newTestPool(f, 0)
	leg := openLeg(f, pool)
	f.Fuzz(func(t *testing.T, offer []byte) {
		ans, err := leg.Answer(offer)
		if err != nil {
			var se *SDPError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not *SDPError", err)
			}
			code, reason := se.SIPStatus()
			if code != 400 && code != 488 {
				t.Fatalf("code %d", code)
			}
			for _, c := range []byte(reason) {
				if c < 0x20 || c > 0x7e {
					t.Fatalf("reason %q has unprintable bytes", reason)
				}
			}
			if reason == "" || len(reason) > 140 {
				t.Fatalf("reason %q", reason)
			}
			return
		}
		r, err := parseRemote(ans)
		if err != nil {
			t.Fatalf("our answer does not parse: %v\n%s", err, ans)
		}
		if r.codec != leg.Codec() || r.dir.String() != leg.Direction() {
			t.Fatalf("answer says %v %v, leg says %v %v", r.codec, r.dir, leg.Codec(), leg.Direction())
		}
		if !strings.HasPrefix(string(ans), "v=0\r\n") {
			t.Fatalf("answer %q", ans)
		}
	})
}
