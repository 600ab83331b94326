package netns

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// proc is a process started in a host's namespace (nsenter --net: it execs
// the command, so the pid is the command's own and signals reach it).
type proc struct {
	name    string
	cmd     *exec.Cmd
	exited  chan struct{}
	refused atomic.Int64 // "cluster: decision refused" lines (a node's fence)
	stopped atomic.Bool  // SIGSTOPped by the test
	// unreached counts "floor: the agent's node not reached" lines (an
	// offer bridged to another node that could not be dialled).
	unreached atomic.Int64

	mu    sync.Mutex
	lines []string // its output (the last maxLines)
}

const maxLines = 20000

// start runs argv in h's namespace; cred, when set, runs it as that user.
func (c *clusterT) start(h host, name string, cred *syscall.Credential, argv ...string) *proc {
	t := c.t
	t.Helper()
	args := []string{"--net=/run/netns/" + c.prefix + "-" + h.name}
	if cred != nil {
		args = append(args, "-S", strconv.Itoa(int(cred.Uid)), "-G", strconv.Itoa(int(cred.Gid)))
	}
	args = append(args, "--")
	p := &proc{name: name, exited: make(chan struct{})}
	p.cmd = exec.Command("nsenter", append(args, argv...)...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = p.cmd.Stdout
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	go p.read(out)
	t.Cleanup(func() {
		p.stop(syscall.SIGTERM, 10*time.Second)
		if dir := os.Getenv(envLogs); dir != "" {
			p.mu.Lock()
			_ = os.WriteFile(filepath.Join(dir, name+".log"), []byte(strings.Join(p.lines, "\n")+"\n"), 0o644) // for a human: best effort
			p.mu.Unlock()
		}
		if t.Failed() {
			p.mu.Lock()
			tail := p.lines[max(0, len(p.lines)-150):]
			t.Logf("%s: last %d lines of output:\n%s", name, len(tail), strings.Join(tail, "\n"))
			p.mu.Unlock()
		}
	})
	return p
}

func (p *proc) read(out io.Reader) {
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		switch l := sc.Text(); {
		case strings.Contains(l, "cluster: decision refused"):
			p.refused.Add(1)
		case strings.Contains(l, "floor: the agent's node not reached"):
			p.unreached.Add(1)
		}
		p.mu.Lock()
		if len(p.lines) >= maxLines {
			p.lines = append(p.lines[:0], p.lines[maxLines/2:]...)
		}
		p.lines = append(p.lines, sc.Text())
		p.mu.Unlock()
	}
	_ = p.cmd.Wait()
	close(p.exited)
}

// stop sends sig and waits up to limit before SIGKILL (of the group).
func (p *proc) stop(sig syscall.Signal, limit time.Duration) {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGCONT) // a paused node must hear sig
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(limit):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
	}
}

func (p *proc) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// waitTCP waits until addr accepts TCP connections (from this, the load,
// namespace) while p runs.
func (c *clusterT) waitTCP(p *proc, addr string, limit time.Duration) {
	c.t.Helper()
	c.waitFor(limit, p.name+" listening on "+addr, func() bool {
		if !p.alive() {
			c.t.Fatalf("%s exited: %v", p.name, p.cmd.ProcessState)
		}
		conn, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
		if err == nil {
			conn.Close()
		}
		return err == nil
	})
}

// pgBinDir is Debian's newest PostgreSQL bin directory, or "".
func pgBinDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	if len(dirs) == 0 {
		return ""
	}
	return filepath.Dir(dirs[0])
}

func pgVersion(p string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(p))))
	return n
}

func kamailioBin() string {
	if p, err := exec.LookPath("kamailio"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/kamailio"); err == nil {
		return "/usr/sbin/kamailio"
	}
	return ""
}

// startPostgres initialises a cluster in a temporary directory and runs it
// in the pg namespace on hostPG:5432, trusting the bridge's addresses; it
// returns the -store URL.
func (c *clusterT) startPostgres() string {
	t := c.t
	bin := pgBinDir()
	dir, err := os.MkdirTemp("", "sbcl-pg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	cred, err := postgresUser(dir)
	if err != nil {
		t.Fatal(err)
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", dir, "-U", "switchboard", "--auth=trust",
		"--no-locale", "-E", "UTF8", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	hba, err := os.OpenFile(filepath.Join(dir, "pg_hba.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = fmt.Fprintln(hba, "host all all 10.77.0.0/24 trust")
	if cerr := hba.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	p := c.start(hostPG, "postgres", cred, filepath.Join(bin, "postgres"), "-D", dir, "-k", dir,
		"-c", "listen_addresses="+hostPG.ip, "-c", "max_connections=200", "-c", "shared_buffers=32MB",
		"-c", "fsync=off", "-c", "synchronous_commit=off")
	c.waitTCP(p, hostPG.ip+":5432", 30*time.Second)
	// The database: created through the server's own socket.
	create := exec.Command(filepath.Join(bin, "psql"), "-h", dir, "-U", "switchboard", "-d", "postgres", "-c", "CREATE DATABASE sb")
	create.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	for deadline := time.Now().Add(20 * time.Second); ; {
		out, err := create.CombinedOutput()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("create database: %v\n%s", err, out)
		}
		time.Sleep(100 * time.Millisecond) // the server still starting: poll again
		create = exec.Command(create.Path, create.Args[1:]...)
		create.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	return "postgres://switchboard@" + hostPG.ip + ":5432/sb?sslmode=disable"
}

// postgresUser makes dir the postgres user's (PostgreSQL refuses root).
func postgresUser(dir string) (*syscall.Credential, error) {
	out, err := exec.Command("id", "-u", "postgres").Output()
	if err != nil {
		return nil, fmt.Errorf("the postgres user (Debian package postgresql): %w", err)
	}
	uid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	out, err = exec.Command("id", "-g", "postgres").Output()
	if err != nil {
		return nil, err
	}
	gid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// startRedis runs redis-server in the redis namespace on hostRedis:6379
// (no persistence) and returns the -cluster URL.
func (c *clusterT) startRedis() string {
	dir := c.t.TempDir()
	p := c.start(hostRedis, "redis", nil, "redis-server", "--bind", hostRedis.ip, "--port", "6379",
		"--protected-mode", "no", "--save", "", "--appendonly", "no", "--dir", dir)
	c.waitTCP(p, hostRedis.ip+":6379", 10*time.Second)
	return "redis://" + hostRedis.ip + ":6379/0"
}

// startKamailio runs deploy/kamailio/kamailio.cfg in the kam namespace on
// hostKam:5060 with the three nodes in its dispatcher list, probing every
// second.
func (c *clusterT) startKamailio(root string) *proc {
	t := c.t
	dir := t.TempDir()
	var list strings.Builder
	for _, n := range hostNodes {
		fmt.Fprintf(&list, "1 sip:%s:5060 0 0\n", n.ip)
	}
	lp := filepath.Join(dir, "dispatcher.list")
	if err := os.WriteFile(lp, []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return c.start(hostKam, "kamailio", nil, kamailioBin(), "-DD", "-E", "-f", filepath.Join(root, "deploy", "kamailio", "kamailio.cfg"),
		"-A", "LISTEN=udp:"+hostKam.ip+":5060", "-A", fmt.Sprintf("DISPATCHER_LIST=%q", lp),
		"-A", "PING_INTERVAL=1", "-Y", dir, "-P", filepath.Join(dir, "kamailio.pid"))
}

// node is one gateway binary.
type node struct {
	*proc
	id   string
	ip   string
	http string // http://ip:8080
}

const adminToken = "netns-token"

// startNode runs the gateway n (0..2) in its namespace.
func (c *clusterT) startNode(i int, bin, store, redis string) *node {
	h := hostNodes[i]
	n := &node{id: h.name, ip: h.ip, http: "http://" + h.ip + ":8080"}
	n.proc = c.start(h, h.name, nil, bin,
		"-sip-addr", h.ip+":5060", "-http-addr", h.ip+":8080", "-media-ip", h.ip, "-rtp-ports", "40000-44999",
		"-data", c.t.TempDir(), "-admin-token", adminToken, "-log-level", "info", "-webrtc-port", "0",
		"-store", store, "-cluster", redis, "-node-id", h.name, "-node-addr", h.ip+":5060",
		"-cluster-lease", lease.String(), "-sip-rate", "200",
		"-trunk-allow", hostKam.ip+"/32,"+hostLoad.ip+"/32")
	c.waitFor(60*time.Second, n.id+" /healthz", func() bool {
		if !n.alive() {
			c.t.Fatalf("%s exited at start: %v", n.id, n.cmd.ProcessState)
		}
		return c.healthy(n)
	})
	return n
}

// waitFor polls cond every 20 ms until it holds, or fails the test.
func (c *clusterT) waitFor(limit time.Duration, what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
