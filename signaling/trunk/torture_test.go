package trunk_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/repotest"
	"switchboard/media"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/signaling/trunk"
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

// sendTCP sends data on a new TCP connection to tr and returns the first
// final status code answered, or 0 when the connection closes or nothing
// final comes within wait.
func sendTCP(t *testing.T, tr *trunk.Trunk, data []byte, wait time.Duration) int {
	t.Helper()
	c, err := net.Dial("tcp", tr.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(data); err != nil {
		return 0
	}
	_ = c.SetReadDeadline(time.Now().Add(wait))
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return 0
		}
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "SIP/2.0" {
			if code, _ := strconv.Atoi(f[1]); code >= 200 {
				return code
			}
		}
	}
}

// The RFC 4475 torture messages over TCP: the same checks as over UDP
// (PROTOCOL §14). Before, TCP passed every message to sipgo unchecked, so
// invalid ones were served (sipgo accepts many of them) and the stream
// could be desynchronised.
func TestRFC4475OverTCP(t *testing.T) {
	tr, _ := limitTrunk(t, trunk.Config{ReadTimeout: 300 * time.Millisecond})
	dir := repotest.Testdata(t, "rfc4475")
	classes := map[string]string{}
	manifest, err := os.ReadFile(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(manifest), "\n") {
		f := strings.Split(line, "\t")
		if len(f) > 3 && strings.HasSuffix(f[0], ".dat") {
			classes[strings.TrimSuffix(f[0], ".dat")] = f[3]
		}
	}
	for _, name := range slices.Sorted(maps.Keys(classes)) {
		data, err := os.ReadFile(filepath.Join(dir, name+".dat"))
		if err != nil {
			t.Fatal(err)
		}
		code := sendTCP(t, tr, data, time.Second)
		want, known := want4475[name]
		refusal := func(c int) bool { return c == 0 || c == 400 || c == 413 || c == 505 }
		switch {
		case classes[name] == "invalid" && code >= 100 && code < 300:
			t.Errorf("%s (invalid) answered %d over TCP: want a refusal or no answer", name, code)
		case known && (want == 400 || want == 505) && !refusal(code):
			t.Errorf("%s answered %d over TCP, refused (%d) over UDP", name, code, want)
		case known && code != want:
			t.Logf("%s: %d over TCP, %d over UDP", name, code, want)
		}
	}
	// The gateway still serves TCP.
	if code := sendTCP(t, tr, []byte(rawRequest("OPTIONS", "echo", "TCP", "127.0.0.1:5999", tr.Addr(), "after-4475", "")), 3*time.Second); code != 200 {
		t.Errorf("OPTIONS after the torture messages = %d, want 200", code)
	}
}

// protosCase is one PROTOS c07-sip INVITE with its placeholders filled in.
func protosCase(tmpl []byte, n int, transport string, dst, local string) []byte {
	user := "nobody@" + dst
	via := strings.ReplaceAll(string(tmpl), "SIP/2.0/UDP <From-Address>:<Local-Port>", "SIP/2.0/"+transport+" <From-Address>:<Local-Port>")
	r := strings.NewReplacer(
		"<To>", user, "<From>", "protos@127.0.0.1", "<From-Address>", "127.0.0.1", "<From-IP>", "127.0.0.1",
		"<Local-Port>", local, "<Branch-ID>", strconv.Itoa(n)+transport, "<Call-ID>", "protos-"+strconv.Itoa(n)+"-"+transport,
		"<CSeq>", "1",
	)
	msg := []byte(r.Replace(via))
	body := 0
	if i := bytes.Index(msg, []byte("\r\n\r\n")); i >= 0 {
		body = len(msg) - i - 4
	}
	return bytes.ReplaceAll(msg, []byte("<Content-Length>"), []byte(strconv.Itoa(body)))
}

// loadPROTOS reads the INVITE templates of the PROTOS c07-sip cases from
// ../shared/testdata-candidates (GPLv2 data: read from there, not copied).
func loadPROTOS(t *testing.T) [][]byte {
	t.Helper()
	path := filepath.Join(repotest.Root(t), "..", "shared", "testdata-candidates", "protos-c07-sip", "protos-c07-sip-cases.tar.gz")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("PROTOS c07-sip corpus not available: %v", err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var cases [][]byte
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		dir, name := filepath.Split(h.Name)
		if !strings.HasSuffix(strings.TrimSuffix(dir, "/"), "cases") || name == "" {
			continue
		}
		n, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		raw, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		// "<len> <INVITE template><len> <teardown template>"
		sp := bytes.IndexByte(raw, ' ')
		l, err := strconv.Atoi(string(raw[:sp]))
		if err != nil || sp+1+l > len(raw) {
			t.Fatalf("case %d: bad length prefix", n)
		}
		for len(cases) <= n {
			cases = append(cases, nil)
		}
		cases[n] = raw[sp+1 : sp+1+l]
	}
	if len(cases) != 4527 {
		t.Fatalf("read %d PROTOS cases, want 4527", len(cases))
	}
	return cases
}

// Every PROTOS c07-sip INVITE over UDP and over TCP: a case the gateway
// refuses over UDP is refused over TCP too. Cases go to an unknown number,
// so an accepted INVITE is answered 404 by the handler and a refused one
// 400 (505, 413, ...). Before: hundreds of cases refused over UDP were
// served over TCP (497 in the count with a 200 route).
func TestPROTOSOverTCP(t *testing.T) {
	if testing.Short() {
		t.Skip("9,054 requests")
	}
	cases := loadPROTOS(t)
	udpTr, _ := limitTrunk(t, trunk.Config{InviteRate: -1})
	tcpTr, _ := limitTrunk(t, trunk.Config{InviteRate: -1, ReadTimeout: 300 * time.Millisecond})
	udpCode := make([]int, len(cases))
	tcpCode := make([]int, len(cases))
	var wg sync.WaitGroup
	next := make(chan int)
	for range 16 {
		wg.Go(func() {
			u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Error(err)
				return
			}
			defer u.Close()
			lport := strconv.Itoa(u.LocalAddr().(*net.UDPAddr).Port)
			for n := range next {
				// Case 0 is valid, the control that must be served: it
				// may wait as long as a loaded machine needs. The others
				// have 300 ms (UDP) and 1 s (TCP); a case unanswered in
				// that time is left out of the comparison.
				var udpWait time.Duration
				tcpWait := time.Second
				if n == 0 {
					udpWait, tcpWait = 20*time.Second, 20*time.Second
				}
				msg := protosCase(cases[n], n, "UDP", udpTr.Addr().String(), lport)
				if len(msg) > 32768 {
					// Larger than sipgo's UDP read buffer (or a datagram):
					// UDP sees it truncated, only TCP carries it whole.
					udpCode[n] = -1
				} else if _, err := u.WriteTo(msg, net.UDPAddrFromAddrPort(udpTr.Addr())); err != nil {
					t.Errorf("case %d over UDP: %v", n, err)
				} else {
					udpCode[n] = readFinalFor(u, "protos-"+strconv.Itoa(n)+"-UDP", 300*time.Millisecond)
					// The control is resent as a UAC would (Timer A),
					// since a datagram can be lost on a loaded machine.
					for deadline := time.Now().Add(udpWait); udpCode[n] == 0 && time.Now().Before(deadline); {
						_, _ = u.WriteTo(msg, net.UDPAddrFromAddrPort(udpTr.Addr()))
						udpCode[n] = readFinalFor(u, "protos-"+strconv.Itoa(n)+"-UDP", 500*time.Millisecond)
					}
				}
				tcpCode[n] = sendTCP(t, tcpTr, protosCase(cases[n], n, "TCP", tcpTr.Addr().String(), "5999"), tcpWait)
			}
		})
	}
	for n := range cases {
		next <- n
	}
	close(next)
	wg.Wait()
	refusedUDP, served, tooLarge := 0, 0, 0
	for n := range cases {
		if udpCode[n] == -1 {
			tooLarge++
			continue
		}
		if udpCode[n] == 404 || udpCode[n] == 0 {
			// Served, or no answer (a mangled Via the answer cannot be
			// routed to over UDP, or dropped): not a refusal to compare.
			continue
		}
		refusedUDP++
		if tcpCode[n] == 404 || (tcpCode[n] >= 100 && tcpCode[n] < 300) {
			served++
			if served <= 10 {
				t.Errorf("PROTOS case %d: %d over UDP, %d over TCP", n, udpCode[n], tcpCode[n])
			}
		}
	}
	t.Logf("%d of %d PROTOS cases refused over UDP (%d not comparable: over 32 KiB); %d of them served over TCP", refusedUDP, len(cases), tooLarge, served)
	tcpRefused := 0
	for _, c := range tcpCode {
		if c != 404 && c != 0 {
			tcpRefused++
		}
	}
	t.Logf("%d of %d refused over TCP", tcpRefused, len(cases))
	if served > 0 {
		t.Errorf("%d PROTOS cases refused over UDP were served over TCP", served)
	}
	if udpCode[0] != 404 || tcpCode[0] != 404 {
		t.Errorf("valid case 0: %d over UDP, %d over TCP; want 404 (served) on both", udpCode[0], tcpCode[0])
	}
}

// readFinalFor returns the final status answered on u to callID within wait.
func readFinalFor(u *net.UDPConn, callID string, wait time.Duration) int {
	buf := make([]byte, 65536)
	deadline := time.Now().Add(wait)
	for {
		_ = u.SetReadDeadline(deadline)
		n, err := u.Read(buf)
		if err != nil {
			return 0
		}
		m := string(buf[:n])
		if !strings.Contains(m, callID) {
			continue
		}
		f := strings.Fields(m)
		if len(f) >= 2 && f[0] == "SIP/2.0" {
			if code, _ := strconv.Atoi(f[1]); code >= 200 {
				return code
			}
		}
	}
}
