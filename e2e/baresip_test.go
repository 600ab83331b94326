package e2e

import (
	"bufio"
	le "encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/porttest"
	"switchboard/media/tone"
)

// baresip is the Debian baresip 1.0 phone as a carrier-side party: config
// in a temporary HOME, aufile playing a WAV as microphone, sndfile dumping
// what it decodes to WAV, commands over ctrl_tcp (netstring JSON) and key
// commands over the cons module's UDP port (x = hold, X = resume).
type baresip struct {
	dir   string
	ctl   net.Conn
	stdin io.WriteCloser
	cons  int        // UDP port of the cons module (key commands)
	mu    sync.Mutex // guards events
	evs   []string
}

// startBaresip runs baresip on 127.0.0.1 only; the test is skipped if the
// binary is missing.
func startBaresip(t *testing.T, toneHz float64) *baresip {
	t.Helper()
	bin, err := exec.LookPath("baresip")
	if err != nil {
		t.Skip("baresip not on PATH: install the Debian package baresip to run this test")
	}
	b := &baresip{dir: t.TempDir()}
	writeToneWAV(t, filepath.Join(b.dir, "in.wav"), toneHz, 60*time.Second)
	sipPort, ctlPort, consPort := porttest.Free(t, "udp"), porttest.Free(t, "tcp"), porttest.Free(t, "udp")
	b.cons = consPort
	rtpBase := 47000 + int(portBase.Add(1))%20*50
	conf := fmt.Sprintf(`poll_method		epoll
sip_listen		127.0.0.1:%d
audio_player		aufile,%s
audio_source		aufile,%s
audio_alert		aufile,%s
ausrc_srate		8000
auplay_srate		8000
ausrc_channels		1
auplay_channels		1
rtp_ports		%d-%d
module_path		/usr/lib/baresip/modules
module			cons.so
cons_listen		127.0.0.1:%d
module			g711.so
module			aufile.so
module			menu.so
module			ctrl_tcp.so
module			sndfile.so
snd_path		%s
module_app		account.so
ctrl_tcp_listen		127.0.0.1:%d
`, sipPort, filepath.Join(b.dir, "out.wav"), filepath.Join(b.dir, "in.wav"), filepath.Join(b.dir, "alert.wav"), rtpBase, rtpBase+40, consPort, b.dir, ctlPort)
	cfgDir := filepath.Join(b.dir, ".baresip")
	if err := os.MkdirAll(cfgDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "config"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "accounts"), []byte("<sip:carrier@127.0.0.1>;regint=0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", cfgDir, "-n", "127.0.0.1")
	blockEncoderDumps(t, b.dir, 5*time.Minute)
	cmd.Env = append(os.Environ(), "HOME="+b.dir, "TZ=UTC") // sndfile names its dumps by local time
	cmd.Dir = b.dir
	var logs strings.Builder
	var logMu sync.Mutex
	cmd.Stdout = writerFunc(func(p []byte) { logMu.Lock(); logs.Write(p); logMu.Unlock() })
	cmd.Stderr = cmd.Stdout
	if b.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		if b.ctl != nil {
			b.ctl.Close()
		}
		_ = b.stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		wg.Wait()
		if t.Failed() {
			logMu.Lock()
			t.Log("baresip: " + logs.String())
			logMu.Unlock()
		}
	})
	waitFor(t, 10*time.Second, "baresip ctrl_tcp", func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(ctlPort))
		if err != nil {
			return false
		}
		b.ctl = c
		return true
	})
	wg.Go(func() { b.readEvents() })
	return b
}

// blockEncoderDumps puts a directory where each of sndfile's encoder
// dumps of the next window would go (dump-<UTC second>-enc.wav), so
// opening one fails and baresip runs with no encode filter at all.
//
// Why: baresip 1.0 drops its decode filters at a hold and cannot rebuild
// them. audio_decoder_set (src/audio.c) flushes rx->filtl whenever the
// negotiated direction is not sendrecv, then audio_start calls
// aufilt_setup, which returns at once while either filter list is
// non-empty ("if (!list_isempty(&tx->filtl) || !list_isempty(&rx->filtl))
// return 0;"). With sndfile's encoder in tx->filtl, the decoder dump is
// never reopened, and nothing baresip decodes after its own hold reaches
// a file, though it decodes it. Upstream fixed aufilt_setup in baresip
// 0669c841 ("audio: fix aufilt_setup update handling", #1498, June 2021,
// first in v2.0.0). With tx->filtl empty, aufilt_setup reopens the decoder
// dump after the hold (a new dump-<time>-dec.wav).
func blockEncoderDumps(t *testing.T, dir string, window time.Duration) {
	t.Helper()
	now := time.Now().UTC()
	for d := -2 * time.Second; d < window; d += time.Second {
		name := "dump-" + now.Add(d).Format("2006-01-02-15-04-05") + "-enc.wav"
		if err := os.Mkdir(filepath.Join(dir, name), 0o700); err != nil {
			t.Fatal(err)
		}
	}
}

type writerFunc func(p []byte)

func (f writerFunc) Write(p []byte) (int, error) { f(p); return len(p), nil }

// command sends a long command over ctrl_tcp.
func (b *baresip) command(t *testing.T, cmd, params string) {
	t.Helper()
	m, _ := json.Marshal(map[string]string{"command": cmd, "params": params, "token": cmd})
	if _, err := fmt.Fprintf(b.ctl, "%d:%s,", len(m), m); err != nil {
		t.Fatalf("baresip %s: %v", cmd, err)
	}
}

// key sends a key command to the cons module (one UDP datagram).
func (b *baresip) key(t *testing.T, k string) {
	t.Helper()
	c, err := net.Dial("udp", "127.0.0.1:"+strconv.Itoa(b.cons))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, k); err != nil {
		t.Fatalf("baresip key %q: %v", k, err)
	}
}

// readEvents collects ctrl_tcp netstrings (events and responses).
func (b *baresip) readEvents() {
	r := bufio.NewReader(b.ctl)
	for {
		n, err := r.ReadString(':')
		if err != nil {
			return
		}
		size, err := strconv.Atoi(strings.TrimLeft(n[:len(n)-1], ","))
		if err != nil || size < 0 || size > 1<<20 {
			return
		}
		msg := make([]byte, size+1)
		if _, err := io.ReadFull(r, msg); err != nil {
			return
		}
		b.mu.Lock()
		b.evs = append(b.evs, string(msg[:size]))
		b.mu.Unlock()
	}
}

func (b *baresip) events() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.evs...)
}

func (b *baresip) saw(part string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.evs {
		if strings.Contains(e, part) {
			return true
		}
	}
	return false
}

// decoded returns the newest dump of what baresip decoded and the bytes
// of all its dumps together: sndfile writes every received frame to
// dump-<time>-dec.wav (nothing while no RTP arrives; a new file after a
// re-INVITE).
func (b *baresip) decoded() ([]byte, int) {
	dec := b.dumps()
	if len(dec) == 0 {
		return nil, 0
	}
	total := 0
	var raw []byte
	for _, f := range dec {
		raw, _ = os.ReadFile(f)
		total += len(raw)
	}
	return raw, total
}

// heardLast reports whether the last second baresip decoded is freq and
// was decoded after the dumps held since bytes.
func (b *baresip) heardLast(freq float64, since int) bool {
	raw, total := b.decoded()
	if len(raw) < 44+16000 || total-since < 16000 {
		return false
	}
	pcm := make([]int16, 8000)
	data := raw[len(raw)-16000:]
	for i := range pcm {
		pcm[i] = int16(le.LittleEndian.Uint16(data[2*i:]))
	}
	return tone.Classify(pcm, freq) == tone.VerdictTone
}

// writeToneWAV writes a 8 kHz mono 16-bit WAV of a sine.
func writeToneWAV(t *testing.T, path string, freq float64, d time.Duration) {
	t.Helper()
	n := int(d.Seconds() * 8000)
	buf := make([]byte, 44+2*n)
	copy(buf, "RIFF")
	le.LittleEndian.PutUint32(buf[4:], uint32(36+2*n))
	copy(buf[8:], "WAVEfmt ")
	le.LittleEndian.PutUint32(buf[16:], 16)
	le.LittleEndian.PutUint16(buf[20:], 1) // PCM
	le.LittleEndian.PutUint16(buf[22:], 1) // mono
	le.LittleEndian.PutUint32(buf[24:], 8000)
	le.LittleEndian.PutUint32(buf[28:], 16000)
	le.LittleEndian.PutUint16(buf[32:], 2)
	le.LittleEndian.PutUint16(buf[34:], 16)
	copy(buf[36:], "data")
	le.LittleEndian.PutUint32(buf[40:], uint32(2*n))
	for i := range n {
		v := int16(8000 * math.Sin(2*math.Pi*freq*float64(i)/8000))
		le.LittleEndian.PutUint16(buf[44+2*i:], uint16(v))
	}
	if err := os.WriteFile(path, buf, 0o600); err != nil {
		t.Fatal(err)
	}
}

// baresip as a carrier phone (issue #13): a call to echo with a tone
// through aufile comes back (baresip decodes its own tone); hold and resume
// are re-INVITEs the gateway answers (recvonly while held, sendrecv
// after, on the same RTP port); after the resume
// baresip decodes its tone echoed again; RFC 4733 DTMF reaches the
// gateway; baresip's BYE ends the call. (The echo after the resume needs
// blockEncoderDumps: baresip 1.0 otherwise stops dumping what it decodes
// at its first hold.)
func TestBaresipEchoHoldResumeDTMF(t *testing.T) {
	const freq = 1000.0
	g := startGateway(t, "-log-level", "debug")
	b := startBaresip(t, freq)
	b.command(t, "dial", fmt.Sprintf("sip:echo@%s", g.SIP))
	waitFor(t, 10*time.Second, "baresip call established", func() bool { return b.saw("CALL_ESTABLISHED") })
	waitFor(t, 10*time.Second, "baresip to hear its tone echoed", func() bool { return b.heardLast(freq, 0) })

	b.key(t, "x") // hold: re-INVITE sendonly, answered recvonly
	waitFor(t, 10*time.Second, "the gateway to answer the hold", func() bool {
		return g.Logged(`"call hold changed"`, `"held":true`, `"direction":"recvonly"`)
	})
	// The workaround holds: baresip reopened its decoder dump. (Whether
	// the gateway sends while held cannot be seen here: baresip drops RTP
	// while its own direction is sendonly, src/stream.c rtp_handler.)
	waitFor(t, 10*time.Second, "baresip's second decoder dump", func() bool { return len(b.dumps()) == 2 })
	_, held := b.decoded()

	b.key(t, "X") // resume
	waitFor(t, 10*time.Second, "the gateway to answer the resume", func() bool {
		return g.Logged(`"call hold changed"`, `"held":false`, `"direction":"sendrecv"`)
	})
	// The gateway logs the change before its 200 OK is on the wire, so
	// baresip's event for the resume's answer may still be on its way.
	answers := func() int { return strings.Count(strings.Join(b.events(), "\n"), "CALL_REMOTE_SDP") }
	waitFor(t, 10*time.Second, "baresip to see 3 SDP answers (INVITE, hold, resume)", func() bool { return answers() >= 3 })
	if ports := g.rtpLocals(); len(ports) != 3 || ports[0] != ports[1] || ports[1] != ports[2] {
		t.Errorf("gateway RTP address per negotiation %v, want one address for INVITE, hold and resume", ports)
	}
	waitFor(t, 10*time.Second, "baresip to hear its tone echoed after the resume", func() bool { return b.heardLast(freq, held) })

	b.command(t, "sndcode", "5")
	waitFor(t, 10*time.Second, "the gateway to receive DTMF 5", func() bool { return g.Logged(`"dtmf received"`, `"digit":"5"`) })

	b.command(t, "hangup", "")
	waitFor(t, 10*time.Second, "the call to end on the gateway", func() bool {
		return g.Logged(`"call ended"`, `"number":"echo"`, `"reason":"remote hangup"`)
	})
}

// dumps lists sndfile's decoder dumps, oldest first.
func (b *baresip) dumps() []string {
	dec, _ := filepath.Glob(filepath.Join(b.dir, "dump-*-dec.wav"))
	return dec
}

// rtpLocals returns the gateway's RTP address of each "rtp negotiated"
// log line (debug level), in order.
func (g *gateway) rtpLocals() []string {
	var out []string
	for _, l := range g.child.Lines() {
		if !strings.Contains(l, `"msg":"rtp negotiated"`) {
			continue
		}
		var m struct {
			Local string `json:"rtp_local"`
		}
		if json.Unmarshal([]byte(l), &m) == nil {
			out = append(out, m.Local)
		}
	}
	return out
}
