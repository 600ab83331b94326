package trunk_test

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/rtpleg"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/signaling/trunk"
	"switchboard/signaling/trunk/trunktest"
)

var loopback = netip.MustParseAddr("127.0.0.1")

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

// startTrunk runs a trunk on 127.0.0.1:0 until the end of the test.
func startTrunk(t *testing.T, h trunk.Handler, allow ...netip.Prefix) *trunk.Trunk {
	t.Helper()
	pool, err := rtpleg.NewPool(rtpleg.Config{IP: loopback, PortMin: 40000, PortMax: 49999, Timeout: 10 * time.Second, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return runTrunk(t, trunk.Config{Listen: "127.0.0.1:0", Allow: allow, Media: pool, Handler: h, Logger: testLogger(t)})
}

// runTrunk builds a trunk from cfg and runs it until the end of the test.
func runTrunk(t *testing.T, cfg trunk.Config) *trunk.Trunk {
	t.Helper()
	tr, err := trunk.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := tr.Run(ctx); err != nil {
			t.Errorf("Run() = %v", err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	return tr
}

// routes answers "echo" with Echo and rejects anything else with 404.
var routes = trunk.HandlerFunc(func(ctx context.Context, c *trunk.Call) {
	switch c.Number() {
	case "echo":
		trunk.Echo(ctx, c)
	case "ring":
		_ = c.Ringing()
		<-ctx.Done()
	default:
		_ = c.Reject(404, "Not Found")
	}
})

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// echoCapture is an Echo handler that hands each call to the test first.
func echoCapture() (trunk.Handler, <-chan *trunk.Call) {
	calls := make(chan *trunk.Call, 1)
	return trunk.HandlerFunc(func(ctx context.Context, c *trunk.Call) {
		calls <- c
		trunk.Echo(ctx, c)
	}), calls
}

// callEcho calls "echo" on tr from a new UDP SIP phone offering a new PCMU
// RTP phone; the context is ctxT's.
func callEcho(t *testing.T, tr *trunk.Trunk) (context.Context, *rtplegtest.Phone, *trunktest.Dialog) {
	t.Helper()
	rtp := rtplegtest.NewPhone(t, media.PCMU)
	ctx := ctxT(t)
	d, err := trunktest.NewPhone(t, "udp").Call(ctx, tr.Addr(), "echo", rtp.Offer())
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	return ctx, rtp, d
}

// ringing starts an INVITE to "ring" on tr under ctx, waits for its answer
// in the background under wctx (its end sends CANCEL), and returns once the
// 180 came; wait returns what Wait returned.
func ringing(t *testing.T, tr *trunk.Trunk, ctx, wctx context.Context) (wait func() error) {
	t.Helper()
	iv, err := trunktest.NewPhone(t, "udp").StartInvite(ctx, tr.Addr(), "ring", rtplegtest.NewPhone(t, media.PCMU).Offer())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var werr error
	wg.Go(func() { _, werr = iv.Wait(wctx) })
	for code := range iv.Provisional() {
		if code == 180 {
			break
		}
	}
	return func() error { wg.Wait(); return werr }
}

func TestEchoTone(t *testing.T) {
	for _, tc := range []struct {
		transport string
		codec     media.Codec
	}{{"udp", media.PCMU}, {"udp", media.PCMA}, {"tcp", media.PCMU}} {
		t.Run(tc.transport+"/"+tc.codec.String(), func(t *testing.T) {
			tr := startTrunk(t, routes)
			rtp := rtplegtest.NewPhone(t, tc.codec)
			sp := trunktest.NewPhone(t, tc.transport)
			ctx := ctxT(t)
			d, err := sp.Call(ctx, tr.Addr(), "echo", rtp.Offer())
			if err != nil {
				t.Fatalf("call echo: %v", err)
			}
			if err := rtp.SetAnswer(d.AnswerSDP()); err != nil {
				t.Fatalf("answer sdp: %v\n%s", err, d.AnswerSDP())
			}
			if !strings.Contains(string(d.AnswerSDP()), "RTP/AVP "+itoa(tc.codec.PayloadType())) {
				t.Errorf("answer does not pick %v:\n%s", tc.codec, d.AnswerSDP())
			}
			rtp.PlayTone(1000)
			if !rtp.WaitHeard(1000, 5*time.Second) {
				t.Fatalf("1 kHz tone not heard back (got %v)", rtp.Classify(1000, 200*time.Millisecond))
			}
			if n := tr.ActiveCalls(); n != 1 {
				t.Errorf("ActiveCalls() = %d, want 1", n)
			}
			if err := d.Bye(ctx); err != nil {
				t.Fatalf("bye: %v", err)
			}
			waitFor(t, "call to end", 5*time.Second, func() bool { return tr.ActiveCalls() == 0 })
		})
	}
}

func itoa(pt uint8) string {
	return string(rune('0' + pt))
}

func TestByeFromTrunk(t *testing.T) {
	h, calls := echoCapture()
	tr := startTrunk(t, h)
	rtp := rtplegtest.NewPhone(t, media.PCMU)
	sp := trunktest.NewPhone(t, "udp")
	sp.CallerName = "Ada Lovelace"
	ctx := ctxT(t)
	d, err := sp.Call(ctx, tr.Addr(), "echo", rtp.Offer())
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	c := <-calls
	if c.Number() != "echo" || c.From() != "caller" || c.CallerName() != "Ada Lovelace" || c.Remote().Addr() != loopback {
		t.Errorf("call = number %q from %q name %q remote %v", c.Number(), c.From(), c.CallerName(), c.Remote())
	}
	if err := c.Hangup("test"); err != nil {
		t.Fatalf("Hangup: %v", err)
	}
	select {
	case <-d.Done():
	case <-ctx.Done():
		t.Fatal("phone did not get BYE")
	}
	if c.EndReason() != "test" || c.State() != trunk.StateEnded {
		t.Errorf("EndReason, State = %q, %v", c.EndReason(), c.State())
	}
	waitFor(t, "call to end", 5*time.Second, func() bool { return tr.ActiveCalls() == 0 })
}

func TestCancelBeforeAnswer(t *testing.T) {
	ended := make(chan string, 1)
	tr := startTrunk(t, trunk.HandlerFunc(func(ctx context.Context, c *trunk.Call) {
		_ = c.Ringing()
		<-ctx.Done()
		ended <- c.EndReason()
	}))
	ctx := ctxT(t)
	wctx, cancel := context.WithCancel(ctx)
	wait := ringing(t, tr, ctx, wctx)
	cancel() // sends CANCEL
	if wait() == nil {
		t.Fatal("Wait after CANCEL = nil, want error")
	}
	select {
	case r := <-ended:
		if r != trunk.ReasonCanceled {
			t.Errorf("EndReason = %q, want %q", r, trunk.ReasonCanceled)
		}
	case <-ctx.Done():
		t.Fatal("handler ctx not ended by CANCEL")
	}
	waitFor(t, "call to end", 5*time.Second, func() bool { return tr.ActiveCalls() == 0 })
}

// TestCancel487 checks the final answer a CANCELed INVITE gets.
func TestCancel487(t *testing.T) {
	tr := startTrunk(t, routes)
	ctx := ctxT(t)
	wctx, cancel := context.WithCancelCause(ctx)
	wait := ringing(t, tr, ctx, wctx)
	cancel(errors.New("test cancel"))
	// sipgo's WaitAnswer returns the 487 as the cause of a successful CANCEL.
	if wait() == nil {
		t.Fatal("want an error after CANCEL")
	}
	waitFor(t, "call to end", 5*time.Second, func() bool { return tr.ActiveCalls() == 0 })
}

func TestReInviteHold(t *testing.T) {
	h, calls := echoCapture()
	tr := startTrunk(t, h)
	ctx, rtp, d := callEcho(t, tr)
	c := <-calls
	_ = rtp.SetAnswer(d.AnswerSDP())
	rtp.PlayTone(1000)
	if !rtp.WaitHeard(1000, 5*time.Second) {
		t.Fatal("tone not heard before hold")
	}
	for _, step := range []struct {
		offer, want string
		held        bool
	}{
		{"sendonly", "a=recvonly", true},
		{"inactive", "a=inactive", true},
		{"sendrecv", "a=sendrecv", false},
	} {
		code, body, err := d.ReInvite(ctx, rtp.OfferDirection(step.offer))
		if err != nil || code != 200 {
			t.Fatalf("re-INVITE %s = %d, %v", step.offer, code, err)
		}
		if !strings.Contains(string(body), step.want) {
			t.Errorf("re-INVITE %s answer lacks %s:\n%s", step.offer, step.want, body)
		}
		if c.Held() != step.held {
			t.Errorf("after re-INVITE %s Held() = %v, want %v", step.offer, c.Held(), step.held)
		}
	}
	if !rtp.WaitHeard(1000, 5*time.Second) {
		t.Fatal("tone not heard after resume")
	}
	// A re-INVITE moving our media to another port is applied.
	rtp2 := rtplegtest.NewPhone(t, media.PCMU)
	code, body, err := d.ReInvite(ctx, rtp2.Offer())
	if err != nil || code != 200 {
		t.Fatalf("re-INVITE new address = %d, %v", code, err)
	}
	_ = rtp2.SetAnswer(body)
	rtp.Silence()
	rtp2.PlayTone(1000)
	if !rtp2.WaitHeard(1000, 5*time.Second) {
		t.Fatal("tone not heard at the new address")
	}
	if err := d.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "call to end", 5*time.Second, func() bool { return tr.ActiveCalls() == 0 })
}

func TestDTMF(t *testing.T) {
	var got atomic.Value
	got.Store("")
	var mu sync.Mutex
	tr := startTrunk(t, trunk.HandlerFunc(func(ctx context.Context, c *trunk.Call) {
		c.OnDTMF(func(d rune) { mu.Lock(); got.Store(got.Load().(string) + string(d)); mu.Unlock() })
		trunk.Echo(ctx, c)
	}))
	ctx, rtp, d := callEcho(t, tr)
	_ = rtp.SetAnswer(d.AnswerSDP())
	rtp.PlayTone(1000)
	if err := rtp.SendDTMF("12"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "RFC 4733 digits", 5*time.Second, func() bool { return got.Load().(string) == "12" })
	if code, err := d.Info(ctx, "application/dtmf-relay", []byte("Signal=5\r\nDuration=160\r\n")); err != nil || code != 200 {
		t.Fatalf("INFO dtmf-relay = %d, %v", code, err)
	}
	if code, err := d.Info(ctx, "application/dtmf", []byte("#")); err != nil || code != 200 {
		t.Fatalf("INFO dtmf = %d, %v", code, err)
	}
	if code, _ := d.Info(ctx, "text/plain", []byte("x")); code != 415 {
		t.Errorf("INFO text/plain = %d, want 415", code)
	}
	waitFor(t, "INFO digits", 5*time.Second, func() bool { return got.Load().(string) == "125#" })
	_ = d.Bye(ctx)
}

func TestRejections(t *testing.T) {
	var handled atomic.Int32
	h := trunk.HandlerFunc(func(ctx context.Context, c *trunk.Call) {
		handled.Add(1)
		routes(ctx, c)
	})
	tr := startTrunk(t, h)
	rtp := rtplegtest.NewPhone(t, media.PCMU)
	sp := trunktest.NewPhone(t, "udp")
	ctx := ctxT(t)
	noCommon := []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 9 18\r\na=rtpmap:9 G722/8000\r\na=rtpmap:18 G729/8000\r\n")
	tests := []struct {
		name   string
		number string
		sdp    []byte
		want   int
	}{
		{"unknown number", "5551234", rtp.Offer(), 404},
		{"no common codec", "echo", noCommon, 488},
		{"malformed sdp", "echo", []byte("this is not sdp\r\n"), 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sp.Call(ctx, tr.Addr(), tt.number, tt.sdp)
			se, ok := errors.AsType[*trunktest.StatusError](err)
			if !ok || se.Code != tt.want {
				t.Fatalf("INVITE %s = %v, want %d", tt.number, err, tt.want)
			}
			if tt.want == 400 && se.Reason == "" {
				t.Errorf("400 without a reason phrase")
			}
		})
	}
	if n := handled.Load(); n != 1 {
		t.Errorf("handler ran %d times, want 1 (488/400 are sent before the handler)", n)
	}
	waitFor(t, "calls to end", 5*time.Second, func() bool { return tr.ActiveCalls() == 0 })
}

func TestForbiddenSource(t *testing.T) {
	var handled atomic.Int32
	tr := startTrunk(t, trunk.HandlerFunc(func(ctx context.Context, c *trunk.Call) { handled.Add(1); routes(ctx, c) }),
		netip.MustParsePrefix("10.0.0.0/8"))
	rtp := rtplegtest.NewPhone(t, media.PCMU)
	sp := trunktest.NewPhone(t, "udp")
	_, err := sp.Call(ctxT(t), tr.Addr(), "echo", rtp.Offer())
	if se, ok := errors.AsType[*trunktest.StatusError](err); !ok || se.Code != 403 {
		t.Fatalf("INVITE from 127.0.0.1 with allow 10/8 = %v, want 403", err)
	}
	if handled.Load() != 0 || tr.ActiveCalls() != 0 {
		t.Errorf("a call was created: handled %d, active %d", handled.Load(), tr.ActiveCalls())
	}
}

func TestOutOfDialogRequests(t *testing.T) {
	tr := startTrunk(t, routes)
	for _, transport := range []string{"udp", "tcp"} {
		sp := trunktest.NewPhone(t, transport)
		ctx := ctxT(t)
		tests := []struct {
			method string
			want   int
		}{
			{"OPTIONS", 200},
			{"FOOBAR", 501},
			{"REGISTER", 405},
			{"SUBSCRIBE", 405},
		}
		for _, tt := range tests {
			res, err := sp.Request(ctx, tr.Addr(), tt.method, "echo")
			if err != nil {
				t.Fatalf("%s %s: %v", transport, tt.method, err)
			}
			if res.Code != tt.want {
				t.Errorf("%s %s = %d, want %d", transport, tt.method, res.Code, tt.want)
			}
			if allow := res.Headers["allow"]; !strings.Contains(allow, "INVITE") || !strings.Contains(allow, "BYE") {
				t.Errorf("%s %s Allow = %q", transport, tt.method, allow)
			}
			if tt.method == "OPTIONS" && !strings.Contains(res.Headers["accept"], "application/sdp") {
				t.Errorf("OPTIONS Accept = %q", res.Headers["accept"])
			}
		}
	}
}

func TestDrain(t *testing.T) {
	tr := startTrunk(t, routes)
	ctx, _, d := callEcho(t, tr)
	tr.Drain()
	_, err := trunktest.NewPhone(t, "udp").Call(ctx, tr.Addr(), "echo", rtplegtest.NewPhone(t, media.PCMU).Offer())
	if se, ok := errors.AsType[*trunktest.StatusError](err); !ok || se.Code != 503 {
		t.Fatalf("INVITE while draining = %v, want 503", err)
	}
	if tr.ActiveCalls() != 1 {
		t.Errorf("ActiveCalls() = %d, want the existing call to go on", tr.ActiveCalls())
	}
	_ = d.Bye(ctx)
	select {
	case <-tr.Idle():
	case <-ctx.Done():
		t.Fatal("no Idle after the last call ended")
	}
}

func TestRTPTimeoutSendsBye(t *testing.T) {
	pool, err := rtpleg.NewPool(rtpleg.Config{IP: loopback, PortMin: 50000, PortMax: 50999, Timeout: 500 * time.Millisecond, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	h, calls := echoCapture()
	tr := runTrunk(t, trunk.Config{Listen: "127.0.0.1:0", Media: pool, Logger: testLogger(t), Handler: h})
	ctx, _, d := callEcho(t, tr)
	c := <-calls
	select { // the phone sends no RTP: the leg times out and we BYE
	case <-d.Done():
	case <-ctx.Done():
		t.Fatal("no BYE after RTP timeout")
	}
	if c.EndReason() != trunk.ReasonRTPTimeout {
		t.Errorf("EndReason() = %q, want %q", c.EndReason(), trunk.ReasonRTPTimeout)
	}
}
