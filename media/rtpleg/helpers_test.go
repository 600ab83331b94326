package rtpleg

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/waittest"
	"switchboard/media"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/media/tone"
	"switchboard/media/udploop"
)

var loopback = netip.MustParseAddr("127.0.0.1")

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// newTestPool returns a pool on 127.0.0.1 with ports the kernel is unlikely to use.
func newTestPool(t testing.TB, timeout time.Duration) *Pool {
	t.Helper()
	p, err := NewPool(Config{IP: loopback, PortMin: 31000, PortMax: 31999, Timeout: timeout, Logger: testLogger(t), Loop: testLoop(t)})
	if err != nil {
		t.Fatalf("NewPool: %v", err)
	}
	return p
}

// testLoop returns a udploop for a test's pool (the gateway's read path;
// RTPLEG_GOROUTINES=1 tests the goroutine reader instead), closed after
// the test's legs.
func testLoop(t testing.TB) *udploop.Loop {
	if os.Getenv("RTPLEG_GOROUTINES") != "" {
		return nil
	}
	l, err := udploop.New()
	if errors.Is(err, errors.ErrUnsupported) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func openLeg(t testing.TB, p *Pool) *Leg {
	t.Helper()
	l, err := p.Open()
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	waittest.For(t, what, timeout, cond)
}

// sdpOffer builds a plain offer toward addr with the given m= formats and
// extra attribute lines.
func sdpOffer(addr netip.AddrPort, fmts string, extra ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=test 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP %s\r\n",
		addr.Addr(), addr.Addr(), addr.Port(), fmts)
	for _, e := range extra {
		b.WriteString(e + "\r\n")
	}
	return []byte(b.String())
}

// connect negotiates a (offerer) with b (answerer), with b answering an offer
// restricted to fmts (e.g. "8 101") when fmts is not empty.
func connect(t testing.TB, a, b *Leg, fmts string) {
	t.Helper()
	offer := a.Offer()
	if fmts != "" {
		offer = []byte(strings.Replace(string(offer), "RTP/AVP 0 8 101", "RTP/AVP "+fmts, 1))
	}
	ans, err := b.Answer(offer)
	if err != nil {
		t.Fatalf("Answer: %v\n%s", err, offer)
	}
	if err := a.SetAnswer(ans); err != nil {
		t.Fatalf("SetAnswer: %v\n%s", err, ans)
	}
}

// recorder is a sink that keeps decoded audio and packet headers.
type recorder struct {
	mu      sync.Mutex
	pcm     []int16
	headers []media.Packet // Payload nil
	codecs  map[media.Codec]int
}

func (r *recorder) WritePacket(p *media.Packet) error {
	var buf [maxPayload]int16
	pcm := media.Decode(p.Codec, buf[:len(p.Payload)], p.Payload)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pcm = append(r.pcm, pcm...)
	h := *p
	h.Payload = nil
	r.headers = append(r.headers, h)
	if r.codecs == nil {
		r.codecs = map[media.Codec]int{}
	}
	r.codecs[p.Codec]++
	return nil
}

func (r *recorder) packets() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.headers)
}

// last returns the last n samples (fewer if not yet received).
func (r *recorder) last(n int) []int16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pcm) < n {
		n = len(r.pcm)
	}
	return append([]int16(nil), r.pcm[len(r.pcm)-n:]...)
}

func (r *recorder) snapshot() []media.Packet {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]media.Packet(nil), r.headers...)
}

// player sends a tone to w every 20 ms until stopped; Cleanup stops it.
type player struct {
	stop chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

func playTone(t testing.TB, w media.PacketWriter, codec media.Codec, freq float64) *player {
	pl := &player{stop: make(chan struct{})}
	pl.wg.Go(func() {
		sine := tone.Sine{Freq: freq}
		var pcm [media.FrameSamples]int16
		var enc [media.FrameSamples]byte
		p := media.Packet{Codec: codec}
		tick := time.NewTicker(media.FrameDuration)
		defer tick.Stop()
		for {
			select {
			case <-pl.stop:
				return
			case <-tick.C:
			}
			sine.Fill(pcm[:])
			p.Payload = media.Encode(codec, enc[:], pcm[:])
			_ = w.WritePacket(&p)
		}
	})
	t.Cleanup(pl.Stop)
	return pl
}

// Stop stops the player and waits for it.
func (pl *player) Stop() {
	pl.once.Do(func() { close(pl.stop) })
	pl.wg.Wait()
}

func strconvItoa(n int) string              { return strconv.Itoa(n) }
func strconvParse(s string) (uint64, error) { return strconv.ParseUint(s, 10, 64) }

// negotiate makes ph offer to l and applies l's answer.
func negotiate(t testing.TB, l *Leg, ph *rtplegtest.Phone) {
	t.Helper()
	ans, err := l.Answer(ph.Offer())
	if err != nil {
		t.Fatal(err)
	}
	if err := ph.SetAnswer(ans); err != nil {
		t.Fatal(err)
	}
}
