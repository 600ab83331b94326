package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"switchboard/internal/repotest"
	"switchboard/internal/sipptest"
	"switchboard/signaling/ws/wstest"
)

// sipOptions sends an OPTIONS request on c (a TCP connection) and returns
// the status line of the answer, or an error.
func sipOptions(c net.Conn, callID string) (string, error) {
	la := c.LocalAddr().String()
	msg := "OPTIONS sip:ping@" + c.RemoteAddr().String() + ";transport=tcp SIP/2.0\r\n" +
		"Via: SIP/2.0/TCP " + la + ";branch=z9hG4bK-" + callID + "\r\n" +
		"Max-Forwards: 70\r\nFrom: <sip:probe@" + la + ">;tag=p1\r\nTo: <sip:ping@" + c.RemoteAddr().String() + ">\r\n" +
		"Call-ID: " + callID + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, msg); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

// openFDs counts the descriptors process pid has open.
func openFDs(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// healthz GETs /healthz on client (one kept-alive connection) and returns
// the status and body.
func healthz(t *testing.T, client *http.Client, addr string) (int, string) {
	t.Helper()
	res, err := client.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res.StatusCode, string(b)
}

// The gateway runs out of descriptors (RLIMIT_NOFILE lowered, the rest held
// by idle /ws/agent sockets) while a SIP TCP connection comes in. SIP TCP
// must keep serving once descriptors are free, and /healthz (asked over a
// connection opened before) must say 503 while SIP cannot accept. Before:
// sipgo's accept loop returned on EMFILE, trunk.Run closed both SIP
// listeners for good, and /healthz kept answering 200.
func TestBinaryNoSilentOutageOnEMFILE(t *testing.T) {
	g := startGateway(t, 46000, "-ws-login-timeout", "120s", "-max-ws-unauth", "4000")
	pid := g.cmd.Process.Pid
	// One kept-alive connection for /healthz, opened while descriptors remain.
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1, IdleConnTimeout: time.Minute}, Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	if code, body := healthz(t, client, g.httpAddr); code != 200 {
		t.Fatalf("/healthz before = %d %q, want 200", code, body)
	}
	limit := uint64(openFDs(t, pid) + 40)
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: limit, Max: limit}, nil); err != nil {
		t.Skipf("prlimit: %v", err)
	}
	var held []*wstest.Client
	for i := 0; openFDs(t, pid) < int(limit); i++ {
		if i > 200 {
			t.Fatalf("%d sockets held, %d descriptors open, limit %d: not exhausted", len(held), openFDs(t, pid), limit)
		}
		c, err := wstest.DialFrom(t, "ws://"+g.httpAddr+"/ws/agent", nil, "127.0.5."+strconv.Itoa(1+i/10))
		if err != nil {
			break // the server could not accept it: exhausted
		}
		held = append(held, c)
	}
	t.Logf("%d idle websockets hold the gateway at %d of %d descriptors", len(held), openFDs(t, pid), limit)

	sip, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(g.sipPort))
	if err != nil {
		t.Fatal(err)
	}
	defer sip.Close()
	// Health tells the truth while SIP TCP cannot accept.
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := healthz(t, client, g.httpAddr)
		if code == http.StatusServiceUnavailable && strings.Contains(body, "sip tcp") {
			t.Logf("/healthz while exhausted: %d %q", code, body)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz while SIP TCP cannot accept = %d %q, want 503 naming sip tcp", code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range held {
		c.Close()
	}
	// SIP TCP serves again: the connection made during the outage is
	// answered, and a new one too.
	if line, err := sipOptions(sip, "emfile-1"); err != nil || !strings.HasPrefix(line, "SIP/2.0 200") {
		t.Fatalf("OPTIONS over the TCP connection made while exhausted: %q, %v; want 200", line, err)
	}
	c2, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(g.sipPort))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if line, err := sipOptions(c2, "emfile-2"); err != nil || !strings.HasPrefix(line, "SIP/2.0 200") {
		t.Fatalf("OPTIONS over a new TCP connection: %q, %v; want 200", line, err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		code, body := healthz(t, client, g.httpAddr)
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz after descriptors came back = %d %q, want 200", code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// OPTIONS while the binary drains (SIGTERM with a call in progress) gets
// 503 with Retry-After, as SIPp's testdata/sipp/options_draining.xml
// expects; before, it got 200 and an SBC kept sending calls.
func TestBinarySIPpOptionsWhileDraining(t *testing.T) {
	sipptest.Bin(t)
	g := startGateway(t, 48000)
	dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: g.sipPort}
	call := dialEchoErr("127.0.0.1", dst, "drain-call")
	if call == nil {
		t.Fatal("echo call not answered")
	}
	defer call.bye()
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for g.count("sip draining") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("gateway not draining after SIGTERM")
		}
		time.Sleep(10 * time.Millisecond)
	}
	sipptest.Exec(t, "", 3*time.Minute, "-sf", repotest.Testdata(t, "sipp/options_draining.xml"), "-s", "probe", "-m", "1",
		"127.0.0.1:"+strconv.Itoa(g.sipPort))
}
