package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/certs/certstest"
	"switchboard/internal/porttest"
	"switchboard/media"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/signaling/trunk/trunktest"
	"switchboard/signaling/ws/wstest"
	"switchboard/web/phoneui/phonetest"
	"switchboard/web/webtest"
)

// tlsGateway is a gateway started with -tls-cert/-tls-key, with the URL of
// its HTTPS listener and the live certificate files.
type tlsGateway struct {
	*gateway
	HTTPS     string // https://127.0.0.1:port
	SIPTLS    int    // SIP over TLS port
	CA        *certstest.CA
	Leaf      *certstest.Leaf // the certificate installed at start (serial 1001)
	Dir       string
	CertFile  string
	KeyFile   string
	clientTLS *tls.Config
}

// startTLSGateway makes a test CA, installs a certificate with serial
// 1001 and starts the gateway on it.
func startTLSGateway(t *testing.T, extra ...string) *tlsGateway {
	t.Helper()
	tg := &tlsGateway{CA: certstest.NewCA(t), Dir: t.TempDir()}
	tg.CertFile, tg.KeyFile = filepath.Join(tg.Dir, "live.crt"), filepath.Join(tg.Dir, "live.key")
	tg.Leaf = tg.CA.Issue(tg.Dir, 1001)
	certstest.Install(t, tg.Leaf, tg.CertFile, tg.KeyFile)
	httpsPort := porttest.Free(t, "tcp")
	tg.SIPTLS = porttest.Free(t, "tcp")
	tg.HTTPS = fmt.Sprintf("https://127.0.0.1:%d", httpsPort)
	tg.clientTLS = tg.CA.ClientConfig()
	args := append([]string{"-tls-cert", tg.CertFile, "-tls-key", tg.KeyFile,
		"-https-addr", fmt.Sprintf("127.0.0.1:%d", httpsPort), "-sip-tls-addr", fmt.Sprintf("127.0.0.1:%d", tg.SIPTLS)}, extra...)
	tg.gateway = startGateway(t, args...)
	tg.gateway.wssTLS, tg.gateway.HTTPS = tg.clientTLS, tg.HTTPS
	return tg
}

// get fetches url over a fresh connection without following redirects and
// returns the status, the Location, the body and the server certificate's
// serial (0 over plain HTTP).
func (tg *tlsGateway) get(t *testing.T, url string) (code int, location, body string, serial int64) {
	t.Helper()
	c := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: tg.clientTLS, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
	res, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.TLS != nil {
		serial = res.TLS.PeerCertificates[0].SerialNumber.Int64()
	}
	return res.StatusCode, res.Header.Get("Location"), string(b), serial
}

func (tg *tlsGateway) wss(t *testing.T, path string) (*wstest.Client, int64) {
	t.Helper()
	c, st := wstest.DialTLS(t, "wss"+strings.TrimPrefix(tg.HTTPS, "https")+path, nil, tg.clientTLS)
	return c, st.PeerCertificates[0].SerialNumber.Int64()
}

// TestHTTPSAndCertificateReload: pages and both websockets over TLS, the
// plain listener keeps /healthz and /metrics and redirects the rest with
// 308; SIGHUP with a new certificate keeps an open wss session and an echo
// call's audio, and new connections see the new serial (PROTOCOL §8).
func TestHTTPSAndCertificateReload(t *testing.T) {
	tg := startTLSGateway(t)
	g := tg.gateway
	g.seed(t, []map[string]any{{"id": "sales", "name": "Sales"}}, []agentSpec{{ID: "ann", Ext: "201", Queues: []string{"sales"}}}, nil)

	for _, path := range []string{"/", "/admin"} {
		code, _, body, serial := tg.get(t, tg.HTTPS+path)
		if code != 200 || !strings.Contains(strings.ToLower(body), "<html") || serial != 1001 {
			t.Errorf("GET %s%s = %d (serial %d, %d bytes), want 200 with a page and serial 1001", tg.HTTPS, path, code, serial, len(body))
		}
	}
	httpsHost := strings.TrimPrefix(tg.HTTPS, "https://")
	for _, path := range []string{"/", "/admin?x=1", "/ws/agent"} {
		code, loc, _, _ := tg.get(t, g.HTTP+path)
		if want := "https://" + httpsHost + path; code != http.StatusPermanentRedirect || loc != want {
			t.Errorf("GET %s%s = %d Location %q, want 308 to %s", g.HTTP, path, code, loc, want)
		}
	}
	for _, path := range []string{"/healthz", "/metrics"} {
		if code, loc, _, _ := tg.get(t, g.HTTP+path); code == http.StatusPermanentRedirect || code >= 500 || loc != "" {
			t.Errorf("GET %s%s over plain HTTP = %d Location %q, want it served there", g.HTTP, path, code, loc)
		}
	}

	admin, serial := tg.wss(t, "/ws/admin")
	admin.MustCall("auth", map[string]string{"token": g.Token}, nil)
	ag, serial2 := tg.wss(t, "/ws/agent")
	ag.MustCall("login", map[string]string{"agent": "ann", "password": "pw-ann"}, nil)
	if serial != 1001 || serial2 != 1001 {
		t.Fatalf("wss serials = %d, %d; want 1001", serial, serial2)
	}

	if s := tg.sipTLSSerial(t); s != 1001 {
		t.Errorf("SIP over TLS serial %d, want 1001", s)
	}
	c := g.dial(t, "echo", toneCaller1)
	hears(t, "caller (echo)", c.classify, toneCaller1)

	certstest.Install(t, tg.CA.Issue(tg.Dir, 1002), tg.CertFile, tg.KeyFile)
	if err := g.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "certificate reloaded with serial 3ea (1002)", func() bool {
		return g.Logged(`"certificate reloaded"`, `"serial":"3ea"`)
	})
	if _, _, _, s := tg.get(t, tg.HTTPS+"/"); s != 1002 {
		t.Errorf("new HTTPS connection after SIGHUP got serial %d, want 1002", s)
	}
	if _, s := tg.wss(t, "/ws/admin"); s != 1002 {
		t.Errorf("new wss connection after SIGHUP got serial %d, want 1002", s)
	}
	if s := tg.sipTLSSerial(t); s != 1002 {
		t.Errorf("new SIP over TLS connection after SIGHUP got serial %d, want 1002", s)
	}
	// The sessions opened before the reload still answer.
	var list []map[string]any
	admin.MustCall("agent.list", map[string]any{}, &list)
	if len(list) != 1 {
		t.Errorf("agent.list on the old wss session = %v, want ann", list)
	}
	ag.MustCall("activity.set", map[string]string{"activity": "available"}, nil)
	select {
	case <-admin.Done():
		t.Error("admin wss session ended at SIGHUP")
	case <-ag.Done():
		t.Error("agent wss session ended at SIGHUP")
	default:
	}
	// And the echo call still carries audio: a new tone comes back.
	c.RTP.PlayTone(toneCaller2)
	hears(t, "caller (echo) after SIGHUP", c.classify, toneCaller2)
}

// dialWS opens a websocket to path: over TLS on a gateway started by
// startTLSGateway, plain otherwise.
func (g *gateway) dialWS(t *testing.T, path string) *wstest.Client {
	t.Helper()
	if g.wssTLS == nil {
		return wstest.Dial(t, wstest.URL(g.HTTP, path), nil)
	}
	c, _ := wstest.DialTLS(t, "wss"+strings.TrimPrefix(g.HTTPS, "https")+path, nil, g.wssTLS)
	return c
}

// TestSIPOverTLSEcho: a call to echo over SIP over TLS (-sip-tls-addr)
// with the reloadable certificate; the caller's tone comes back, the
// gateway's Contact says transport=tls, and a SIGHUP mid-call keeps the
// call, its audio and its TLS connection (the BYE goes over it).
func TestSIPOverTLSEcho(t *testing.T) {
	tg := startTLSGateway(t)
	c := &caller{SIP: trunktest.NewTLSPhone(t, tg.clientTLS), RTP: rtplegtest.NewPhone(t, media.PCMU)}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	target := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(tg.SIPTLS))
	d, err := c.SIP.Call(ctx, target, "echo", c.RTP.Offer())
	if err != nil {
		t.Fatalf("call echo over TLS: %v", err)
	}
	c.Dlg = d
	if ct := d.Contact(); !strings.Contains(ct, "transport=tls") {
		t.Errorf("200 OK Contact = %q, want transport=tls", ct)
	}
	if err := c.RTP.SetAnswer(d.AnswerSDP()); err != nil {
		t.Fatal(err)
	}
	c.RTP.PlayTone(toneCaller1)
	hears(t, "caller (echo over TLS)", c.classify, toneCaller1)
	// A certificate reload leaves the call and its TLS connection alone.
	certstest.Install(t, tg.CA.Issue(tg.Dir, 1002), tg.CertFile, tg.KeyFile)
	if err := tg.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "certificate reloaded", func() bool { return tg.Logged(`"certificate reloaded"`, `"serial":"3ea"`) })
	c.RTP.PlayTone(toneCaller2)
	hears(t, "caller (echo over TLS) after SIGHUP", c.classify, toneCaller2)
	if err := d.Bye(ctx); err != nil {
		t.Errorf("BYE over TLS after SIGHUP: %v", err)
	}
	waitFor(t, 5*time.Second, "call ended", func() bool { return tg.Logged(`"call ended"`) })
}

// TestBrowserSoftphoneHTTPS: Chromium opens the softphone over HTTPS (the
// test certificate trusted by its SPKI hash), gets the (fake) microphone,
// connects WebRTC over the wss session and takes a queue call both ways.
func TestBrowserSoftphoneHTTPS(t *testing.T) {
	lo := 22000 + int(rtpBlock.Add(1)%40)*200 // startGW's ranges (flows_helpers_test.go)
	tg := startTLSGateway(t, "-rtp-ports", fmt.Sprintf("%d-%d", lo, lo+198))
	g := tg.gateway
	ctx := webtest.BrowserWith(t, "ignore-certificate-errors-spki-list="+tg.Leaf.SPKI())
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001", Queues: []string{"sales"}})
	p := &phonePage{t: t, ctx: ctx}
	webtest.Do(t, ctx, chromedp.Navigate(tg.HTTPS+"/"))
	if !webtest.Eval[bool](t, ctx, `window.isSecureContext && location.protocol === 'https:'`) {
		t.Fatal("the page over HTTPS is not a secure context")
	}
	phonetest.Login(t, ctx, "a1", "pw-a1")
	p.wait(`window.sb.pc && window.sb.pc.connectionState === 'connected'`, 15*time.Second)
	p.wait(`window.sb.pc.getSenders().some(s => s.track && s.track.kind === 'audio' && s.track.readyState === 'live')`, 5*time.Second)
	phonetest.GoAvailable(t, ctx) // passes the audio check, as an agent does

	c := g.dial(t, "5000", toneCaller1)
	p.acceptToast("queue")
	p.wait(`document.querySelectorAll('#calls .call-card[data-state="active"]').length === 1`, 5*time.Second)
	p.wait(inboundAudio, 10*time.Second)
	hearsPage(t, "caller (page over HTTPS)", c)
}

// sipTLSSerial handshakes with the SIP over TLS listener and returns the
// certificate's serial.
func (tg *tlsGateway) sipTLSSerial(t *testing.T) int64 {
	t.Helper()
	c, err := tls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", tg.SIPTLS), tg.clientTLS)
	if err != nil {
		t.Fatalf("SIP over TLS handshake: %v", err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}
