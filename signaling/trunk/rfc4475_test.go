package trunk_test

import (
	"bufio"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/internal/repotest"
	"switchboard/media"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/signaling/trunk/trunktest"
)

// want4475 is what the trunk answers to each RFC 4475 message: a status
// code, or 0 for "dropped, no answer". Requests that name a user other than
// "echo" are routed to 404 by the test handler.
var want4475 = map[string]int{
	// §3.1.1 valid: accepted and answered as any request would be.
	"wsinv":      400, // sipgo cannot key its RFC 2543 branch and answers 400 statelessly (a known sipgo gap)
	"intmeth":    501, // unknown method
	"esc01":      404, // INVITE to an unknown number
	"escnull":    405, // REGISTER
	"esc02":      501, // RE%47IST%45R is not REGISTER
	"lwsdisp":    200, // OPTIONS
	"longreq":    0,   // the 404 echoing its long headers exceeds sipgo's UDP MTU limit and is not sent: a known sipgo gap
	"dblreq":     405, // REGISTER; the trailing INVITE octets are ignored
	"semiuri":    200,
	"transports": 200,
	"mpart01":    405, // MESSAGE
	"unreason":   0,   // a response: nothing to answer
	"noreason":   0,
	// §3.1.2 invalid: 400 (505 for the version), responses dropped.
	"badinv01":   400,
	"clerr":      400,
	"ncl":        400,
	"scalar02":   400,
	"scalarlg":   0,
	"quotbal":    400,
	"ltgtruri":   400,
	"lwsruri":    400,
	"lwsstart":   400,
	"trws":       400,
	"escruri":    400,
	"baddate":    400,
	"regbadct":   400,
	"badaspec":   400,
	"baddn":      400,
	"badvers":    505,
	"mismatch01": 400,
	"mismatch02": 400,
	"bigcode":    0,
	// §3.2 transaction layer
	"badbranch": 400,
	// §3.3 application layer
	"insuf":    400,
	"unkscm":   416,
	"novelsc":  416,
	"unksm2":   405, // REGISTER
	"bext01":   420,
	"invut":    415,
	"regaut01": 405,
	"multi01":  400,
	"mcl01":    400,
	"bcast":    0,
	"zeromf":   200,
	"cparam01": 405,
	"cparam02": 0, // shares branch and sent-by with cparam01: absorbed as a retransmission
	"regescrt": 0, // shares branch and sent-by with regbadct, sent just before: sipgo absorbs it as a retransmission
	"sdp01":    406,
	// §3.4 backward compatibility: no Contact, answered 400.
	"inv2543": 400,
	"test":    0, // unreferenced; answered or not, it must not break anything
}

func TestRFC4475(t *testing.T) {
	tr := startTrunk(t, routes)
	dir := repotest.Testdata(t, "rfc4475")
	manifest, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer manifest.Close()
	classes := map[string]string{}
	sc := bufio.NewScanner(manifest)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) > 3 && strings.HasSuffix(f[0], ".dat") {
			classes[strings.TrimSuffix(f[0], ".dat")] = f[3]
		}
	}
	if len(classes) != 50 {
		t.Fatalf("MANIFEST lists %d messages, want 50", len(classes))
	}
	t.Run("messages", func(t *testing.T) {
		// In order: several messages share a Via branch, so a later one can be
		// a retransmission of an earlier one's transaction to sipgo.
		for _, name := range slices.Sorted(maps.Keys(classes)) {
			class := classes[name]
			t.Run(name, func(t *testing.T) {
				data, err := os.ReadFile(filepath.Join(dir, name+".dat"))
				if err != nil {
					t.Fatal(err)
				}
				conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(tr.Addr()))
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				if _, err := conn.Write(data); err != nil {
					t.Fatal(err)
				}
				code := readFinal(t, conn)
				want, known := want4475[name]
				switch {
				case class == "invalid" && code >= 100 && code < 300:
					t.Errorf("%s (invalid) answered %d: want 400 or no answer", name, code)
				case known && name != "test" && code != want:
					t.Errorf("%s (%s) answered %d, want %d", name, class, code, want)
				}
			})
		}
	})
	if t.Failed() {
		return
	}
	// The gateway still completes a call.
	rtp := rtplegtest.NewPhone(t, media.PCMA)
	sp := trunktest.NewPhone(t, "udp")
	ctx := ctxT(t)
	d, err := sp.Call(ctx, tr.Addr(), "echo", rtp.Offer())
	if err != nil {
		t.Fatalf("echo call after the torture messages: %v", err)
	}
	_ = rtp.SetAnswer(d.AnswerSDP())
	rtp.PlayTone(1000)
	if !rtp.WaitHeard(1000, 5*time.Second) {
		t.Error("echo not heard after the torture messages")
	}
	_ = d.Bye(ctx)
	waitFor(t, "calls to end", 5*time.Second, func() bool { return tr.ActiveCalls() == 0 })
}

// readFinal returns the first final status code read on conn within a
// short time, or 0 if none came.
func readFinal(t *testing.T, conn *net.UDPConn) int {
	t.Helper()
	buf := make([]byte, 65536)
	deadline := time.Now().Add(400 * time.Millisecond)
	for {
		_ = conn.SetReadDeadline(deadline)
		n, err := conn.Read(buf)
		if err != nil {
			return 0
		}
		line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "SIP/2.0" {
			continue
		}
		code, _ := strconv.Atoi(f[1])
		if code >= 200 {
			return code
		}
	}
}
