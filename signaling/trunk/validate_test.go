package trunk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"switchboard/internal/repotest"
)

// TestCheckRaw checks the verdict of the raw checks on the RFC 4475
// messages they are meant to catch.
func TestCheckRaw(t *testing.T) {
	want := map[string]int{ // 0 = passed on, -1 = dropped
		"badaspec": 400, "badbranch": 400, "baddate": 400, "baddn": 400, "badinv01": 400, "badvers": 505,
		"bigcode": -1, "clerr": 400, "escruri": 400, "insuf": 400, "ltgtruri": 400, "lwsruri": 400,
		"lwsstart": 400, "mcl01": 400, "mismatch01": 400, "mismatch02": 400, "multi01": 400, "ncl": 400,
		"novelsc": 416, "quotbal": 400, "regbadct": 400, "scalar02": 400, "scalarlg": -1, "trws": 400, "unkscm": 416,
		"wsinv": 0, "intmeth": 0, "esc01": 0, "escnull": 0, "esc02": 0, "lwsdisp": 0, "longreq": 0, "dblreq": 0,
		"semiuri": 0, "transports": 0, "mpart01": 0, "unreason": 0, "noreason": 0, "inv2543": 0, "zeromf": 0,
	}
	for name, w := range want {
		data, err := os.ReadFile(filepath.Join(repotest.Testdata(t, "rfc4475"), name+".dat"))
		if err != nil {
			t.Fatal(err)
		}
		v := checkRaw(data)
		got := v.code
		if v.drop {
			got = -1
		}
		if got != w {
			t.Errorf("checkRaw(%s) = %d (%q), want %d", name, got, v.reason, w)
		}
	}
}

func TestForceRport(t *testing.T) {
	tests := []struct{ in, want string }{
		{"OPTIONS sip:a SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nTo: a\r\n\r\n", "Via: SIP/2.0/UDP h;rport;branch=z9hG4bKx\r\n"},
		{"OPTIONS sip:a SIP/2.0\r\nv: SIP/2.0/UDP h\r\nTo: a\r\n\r\n", "v: SIP/2.0/UDP h;rport\r\n"},
		{"OPTIONS sip:a SIP/2.0\r\nVia: SIP/2.0/UDP h;rport;branch=z9hG4bKx\r\n\r\n", "Via: SIP/2.0/UDP h;rport;branch=z9hG4bKx\r\n"},
		{"OPTIONS sip:a SIP/2.0\r\nVia: SIP/2.0/UDP h1, SIP/2.0/UDP h2\r\n\r\n", "Via: SIP/2.0/UDP h1;rport, SIP/2.0/UDP h2\r\n"},
		{"OPTIONS sip:a SIP/2.0\r\nVia: SIP/2.0/UDP\r\n h\r\nTo: a\r\n\r\n", "Via: SIP/2.0/UDP\r\n h;rport\r\n"},
	}
	for _, tt := range tests {
		if got := string(forceRport([]byte(tt.in))); !strings.Contains(got, tt.want) {
			t.Errorf("forceRport(%q) = %q, want it to contain %q", tt.in, got, tt.want)
		}
	}
}
