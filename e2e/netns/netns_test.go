package netns

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/repotest"
)

// The test runs only when envRun is "1" (.ci/run's cluster step). The
// parent makes the namespaces and re-executes the test inside the load
// namespace with envInner set to the namespaces' prefix and envBin to the
// gateway binary it built.
const (
	envRun   = "SWITCHBOARD_CLUSTER_NETNS"
	envInner = "SWITCHBOARD_CLUSTER_NETNS_INNER"
	envBin   = "SWITCHBOARD_CLUSTER_NETNS_BIN"
	// envLogs, when set, is a directory that gets every process's output
	// (the last maxLines lines) at the end.
	envLogs = "SWITCHBOARD_CLUSTER_NETNS_LOGS"
	// envLean "1" makes the agents loadgen lean clients instead of pion
	// PeerConnections.
	envLean = "SWITCHBOARD_CLUSTER_NETNS_LEAN"
)

// namePrefix starts every namespace this test makes (.ci/run removes any
// left behind by a killed run).
const namePrefix = "sbcl"

// A host is one network namespace on the private bridge 10.77.0.0/24.
type host struct {
	name string // namespace suffix
	ip   string
}

var (
	hostPG    = host{"pg", "10.77.0.2"}
	hostRedis = host{"redis", "10.77.0.3"}
	hostKam   = host{"kam", "10.77.0.4"}
	hostNodes = []host{{"n1", "10.77.0.11"}, {"n2", "10.77.0.12"}, {"n3", "10.77.0.13"}}
	hostLoad  = host{"load", "10.77.0.100"}
)

func allHosts() []host {
	return append([]host{hostPG, hostRedis, hostKam, hostLoad}, hostNodes...)
}

// TestClusterNetns is PROTOCOL §13's cluster test (issue 19): three
// gateway binaries, PostgreSQL, Redis and Kamailio, each in its own
// network namespace on a private bridge (itself in a namespace of its
// own), and the load (30 agents, carriers' calls through Kamailio) from
// another. See cluster_test.go for what it checks.
func TestClusterNetns(t *testing.T) {
	if p := os.Getenv(envInner); p != "" {
		runCluster(t, p, os.Getenv(envBin))
		return
	}
	if os.Getenv(envRun) != "1" {
		t.Skip("the netns cluster test runs only with " + envRun + "=1 (as root, with ip, nsenter, kamailio, redis-server and postgresql installed): .ci/run's cluster step")
	}
	if os.Geteuid() != 0 {
		t.Fatal(envRun + "=1 needs root (network namespaces)")
	}
	for _, tool := range []string{"ip", "nsenter", "redis-server"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not on PATH", tool)
		}
	}
	if kamailioBin() == "" || pgBinDir() == "" {
		t.Fatal("kamailio (Debian kamailio) or PostgreSQL (Debian postgresql) not installed")
	}
	bin := repotest.Build(t, t.TempDir(), "./cmd/switchboard") // without -race: the nodes carry load on a 2-core machine
	prefix := fmt.Sprintf("%s%d", namePrefix, os.Getpid())
	t.Cleanup(func() { removeNamespaces(t, prefix) })
	makeNamespaces(t, prefix)

	cmd := exec.CommandContext(t.Context(), "ip", "netns", "exec", prefix+"-"+hostLoad.name,
		os.Args[0], "-test.run=^TestClusterNetns$", "-test.count=1", "-test.v", "-test.timeout=4m30s")
	cmd.Env = append(os.Environ(), envInner+"="+prefix, envBin+"="+bin)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	passed := false
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		passed = passed || strings.HasPrefix(l, "--- PASS: TestClusterNetns")
		t.Log(l)
	}
	if err := cmd.Wait(); err != nil || !passed {
		t.Fatalf("the cluster test in namespace %s-%s: %v (passed: %v)", prefix, hostLoad.name, err, passed)
	}
}

func ipCmd(args ...string) error {
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// makeNamespaces makes prefix-br with the bridge and one namespace per
// host, each with eth0 (a veth into the bridge) at the host's address and
// loopback up. No interface is made outside these namespaces.
func makeNamespaces(t *testing.T, prefix string) {
	t.Helper()
	br := prefix + "-br"
	must := func(args ...string) {
		t.Helper()
		if err := ipCmd(args...); err != nil {
			t.Fatal(err)
		}
	}
	must("netns", "add", br)
	must("-n", br, "link", "set", "lo", "up")
	must("-n", br, "link", "add", "br0", "type", "bridge")
	must("-n", br, "link", "set", "br0", "up")
	for _, h := range allHosts() {
		ns := prefix + "-" + h.name
		must("netns", "add", ns)
		must("link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", "v-"+h.name, "netns", br)
		must("-n", br, "link", "set", "v-"+h.name, "master", "br0", "up")
		must("-n", ns, "addr", "add", h.ip+"/24", "dev", "eth0")
		must("-n", ns, "link", "set", "eth0", "up")
		must("-n", ns, "link", "set", "lo", "up")
	}
}

// removeNamespaces kills every process left in prefix's namespaces and
// deletes them (also after a failure or a crash of the inner test).
func removeNamespaces(t *testing.T, prefix string) {
	out, _ := exec.Command("ip", "netns", "list").Output()
	var wg sync.WaitGroup
	for l := range strings.Lines(string(out)) {
		f := strings.Fields(l)
		if len(f) == 0 || !strings.HasPrefix(f[0], prefix+"-") {
			continue
		}
		ns := f[0]
		wg.Go(func() {
			for deadline := time.Now().Add(10 * time.Second); ; {
				pids, _ := exec.Command("ip", "netns", "pids", ns).Output()
				if len(strings.TrimSpace(string(pids))) == 0 || time.Now().After(deadline) {
					break
				}
				for p := range strings.FieldsSeq(string(pids)) {
					if pid, err := strconv.Atoi(p); err == nil {
						if proc, err := os.FindProcess(pid); err == nil {
							_ = proc.Kill()
						}
					}
				}
				time.Sleep(50 * time.Millisecond) // the kernel reaps them; ip netns pids is polled
			}
			if err := ipCmd("netns", "del", ns); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		})
	}
	wg.Wait()
}
