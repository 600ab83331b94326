package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"switchboard/store"
	"switchboard/store/sqlite"
)

// crashWriterEnv switches the test binary into the crash writer: it puts
// version after version of agent "bob" and prints "ack N" after each
// acknowledged write, until killed.
const crashWriterEnv = "SWITCHBOARD_STORE_CRASHWRITER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashWriterEnv); dir != "" {
		if err := crashWriter(dir); err != nil {
			fmt.Fprintln(os.Stderr, "crash writer:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var crashQueues = []string{"q0", "q1", "q2", "q3"}

// version returns the configuration of write n: every field and the
// membership rows change together, so a torn write shows.
func version(n int) store.Agent {
	qs := []string{}
	for k := range n%3 + 1 {
		qs = append(qs, crashQueues[(n+k)%len(crashQueues)])
	}
	return store.Agent{ID: "bob", Name: fmt.Sprintf("v%d", n), Extension: strconv.Itoa(10000 + n), Capacity: n%8 + 1, Queues: qs}
}

func crashWriter(dir string) error {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	for _, q := range crashQueues {
		if _, err := s.PutQueue(ctx, store.Queue{ID: q}); err != nil {
			return err
		}
	}
	n := 0
	if a, err := s.GetAgent(ctx, "bob"); err == nil {
		if _, err := fmt.Sscanf(a.Name, "v%d", &n); err != nil {
			return err
		}
	}
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "ready", n)
	out.Flush()
	for {
		n++
		if _, err := s.PutAgent(ctx, version(n)); err != nil {
			return err
		}
		fmt.Fprintln(out, "ack", n)
		out.Flush()
	}
}

// TestDurabilityKill9 kills a writing process with SIGKILL mid-burst,
// several times on the same directory, and checks that the configuration
// read back is the last acknowledged write (or the next one, committed but
// not yet printed), never a mix.
func TestDurabilityKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	for round, killAfter := range []int{40, 97, 211, 5} {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashWriterEnv+"="+dir)
		cmd.Stderr = t.Output()
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		lastAck, acks, start := -1, 0, 0
		killed := false
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) != 2 {
				t.Fatalf("child said %q", sc.Text())
			}
			n, _ := strconv.Atoi(f[1])
			switch f[0] {
			case "ready":
				start, lastAck = n, n
			case "ack":
				if n != lastAck+1 {
					t.Fatalf("ack %d after %d", n, lastAck)
				}
				lastAck = n
				acks++
				if acks == killAfter && !killed {
					if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
						t.Fatal(err)
					}
					killed = true
				}
			}
		}
		err = cmd.Wait()
		if !killed {
			t.Fatalf("round %d: child exited before the kill: %v", round, err)
		}
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child not killed by SIGKILL: %v", round, err)
		}
		s, err := sqlite.Open(t.Context(), dir, slog.New(slog.NewTextHandler(t.Output(), nil)))
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		got, err := s.GetAgent(t.Context(), "bob")
		_ = s.Close()
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		got.PasswordHash = ""
		got.AgentRouting = store.AgentRouting{} // section 10 defaults; this test is about v1 fields
		switch {
		case reflect.DeepEqual(got, version(lastAck)):
			t.Logf("round %d: started at v%d, killed after ack %d: read back the last acknowledged write", round, start, lastAck)
		case reflect.DeepEqual(got, version(lastAck+1)):
			t.Logf("round %d: started at v%d, killed after ack %d: read back v%d (committed, not yet printed)", round, start, lastAck, lastAck+1)
		default:
			t.Fatalf("round %d: last ack %d, read back %+v; want %+v or %+v", round, lastAck, got, version(lastAck), version(lastAck+1))
		}
	}
}

// The torn-write check above is only meaningful if version(n) differs
// from version(n+1) in every table it touches.
func TestVersionsDiffer(t *testing.T) {
	for n := range 50 {
		a, b := version(n), version(n+1)
		if a.Name == b.Name || a.Extension == b.Extension || a.Capacity == b.Capacity || reflect.DeepEqual(a.Queues, b.Queues) {
			t.Fatalf("version(%d) and version(%d) share a field: %+v %+v", n, n+1, a, b)
		}
	}
}
