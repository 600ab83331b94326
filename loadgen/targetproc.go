package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// targetProc is a target (Switchboard or rtpengine) started as a child
// process for one measured point, with a fresh data directory.
type targetProc struct {
	cmd    *exec.Cmd
	exited chan struct{}
	dir    string
	ports  *portBlock // its media range, held until stop

	// What the run needs to drive it.
	pid  int
	sip  netip.AddrPort // Switchboard
	http string         // Switchboard
	ng   netip.AddrPort // rtpengine
}

// Binaries and fixed flags of the targets -compare starts.
const (
	compareToken = "sbload-compare"
)

// startSwitchboard starts bin on loopback with free ports and waits for
// /healthz.
func startSwitchboard(ctx context.Context, bin string, stderr io.Writer) (*targetProc, error) {
	dir, err := os.MkdirTemp("", "sbload-switchboard-")
	if err != nil {
		return nil, err
	}
	sip, err := freeLoopbackPort("udp+tcp") // SIP listens on both
	if err != nil {
		return nil, err
	}
	hp, err := freeLoopbackPort("tcp")
	if err != nil {
		return nil, err
	}
	rtc, err := freeLoopbackPort("udp")
	if err != nil {
		return nil, err
	}
	block, err := lockPortBlock(sip, hp, rtc)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	p := &targetProc{dir: dir, ports: block, sip: netip.AddrPortFrom(loopback4, uint16(sip)), http: fmt.Sprintf("http://127.0.0.1:%d", hp)}
	args := []string{"-media-ip", "127.0.0.1", "-sip-addr", p.sip.String(), "-http-addr", fmt.Sprintf("127.0.0.1:%d", hp),
		"-webrtc-port", strconv.Itoa(rtc), "-rtp-ports", fmt.Sprintf("%d-%d", block.lo, block.hi), "-data", dir,
		"-admin-token", compareToken, "-log-level", "warn",
		"-sip-rate", "100000"} // every call comes from one source address
	if err := p.start(bin, args, stderr); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.http + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		if err := p.waitOrExit(ctx, deadline, 50*time.Millisecond); err != nil {
			p.stop()
			return nil, fmt.Errorf("switchboard: %w", err)
		}
	}
}

// startRTPEngine starts rtpengine in userspace (--table=-1) on loopback
// with a free ng port and waits for its ping.
func startRTPEngine(ctx context.Context, bin string, stderr io.Writer) (*targetProc, error) {
	dir, err := os.MkdirTemp("", "sbload-rtpengine-")
	if err != nil {
		return nil, err
	}
	ng, err := freeLoopbackPort("udp")
	if err != nil {
		return nil, err
	}
	block, err := lockPortBlock(ng)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	p := &targetProc{dir: dir, ports: block, ng: netip.AddrPortFrom(loopback4, uint16(ng))}
	args := []string{"--config-file=none", "--table=-1", "--interface=127.0.0.1", "--listen-ng=" + p.ng.String(),
		"--foreground", "--log-stderr", "--log-level=4", "--pidfile=" + dir + "/rtpengine.pid",
		"--port-min=" + strconv.Itoa(block.lo), "--port-max=" + strconv.Itoa(block.hi)}
	if err := p.start(bin, args, stderr); err != nil {
		return nil, err
	}
	c, err := newNGClient(p.ng)
	if err != nil {
		p.stop()
		return nil, err
	}
	defer c.close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		_, err := c.callOnce(pctx, map[string]any{"command": "ping"})
		cancel()
		if err == nil {
			return p, nil
		}
		if err := p.waitOrExit(ctx, deadline, 50*time.Millisecond); err != nil {
			p.stop()
			return nil, fmt.Errorf("rtpengine: %w", err)
		}
	}
}

var loopback4 = netip.AddrFrom4([4]byte{127, 0, 0, 1})

// freeLoopbackPort returns a port on 127.0.0.1 that is free for network:
// "udp", "tcp", or "udp+tcp" (free on both: a UDP port the kernel picked
// may be taken on TCP).
func freeLoopbackPort(network string) (int, error) {
	for range 20 {
		port, err := freePort(network != "tcp")
		if err != nil || network != "udp+tcp" {
			return port, err
		}
		l, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			_ = l.Close()
			return port, nil
		}
	}
	return 0, errors.New("loadgen: no loopback port free on both UDP and TCP in 20 tries")
}

// freePort returns a port the kernel picks on 127.0.0.1 for UDP or TCP.
func freePort(udp bool) (int, error) {
	if udp {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port, nil
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (p *targetProc) start(bin string, args []string, stderr io.Writer) error {
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = stderr, stderr
	if err := p.cmd.Start(); err != nil {
		_ = os.RemoveAll(p.dir)
		p.ports.release()
		return err
	}
	p.pid = p.cmd.Process.Pid
	p.exited = make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(p.exited) }() // waited for in stop
	return nil
}

// waitOrExit sleeps d unless the process exits, ctx ends or deadline passed.
func (p *targetProc) waitOrExit(ctx context.Context, deadline time.Time, d time.Duration) error {
	if time.Now().After(deadline) {
		return errors.New("not ready within 30 s")
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.exited:
		return fmt.Errorf("exited before it was ready (%v)", p.cmd.ProcessState)
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// stop sends SIGINT (Switchboard: end every call and exit; rtpengine: exit), waits up to 10 s (then kills), and removes the data
// directory.
func (p *targetProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case <-p.exited:
	case <-t.C:
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	_ = os.RemoveAll(p.dir)
	p.ports.release()
}
