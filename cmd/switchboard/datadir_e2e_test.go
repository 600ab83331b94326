package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"switchboard/internal/porttest"
)

// runOnce starts the binary on dataDir and expects it to exit by itself;
// it returns the exit code and stderr.
func runOnce(t *testing.T, dataDir string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), "-sip-addr", "127.0.0.1:"+strconv.Itoa(porttest.FreeBoth(t)),
		"-http-addr", "127.0.0.1:"+strconv.Itoa(porttest.FreeBoth(t)), "-media-ip", "127.0.0.1", "-rtp-ports", "46000-46099",
		"-webrtc-port", "0", "-data", dataDir)
	cmd.Env = []string{}
	out, _ := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("switchboard on %s still running after 20 s, want it to refuse and exit:\n%s", dataDir, out)
	}
	return cmd.ProcessState.ExitCode(), string(out)
}

// A second process on the same -data exits 1 with "data directory in use"
// (two used to run on one database).
func TestBinaryDataDirLocked(t *testing.T) {
	dir := t.TempDir()
	startGateway(t, 47000, "-data", dir)
	code, out := runOnce(t, dir)
	if code != 1 || !strings.Contains(out, "data directory in use") {
		t.Errorf("second process: exit %d, output %q; want exit 1 and \"data directory in use\"", code, out)
	}
}

// An empty or foreign database file is refused at start with a clear
// message (a zero-byte database used to start silently, empty).
func TestBinaryRefusesEmptyOrForeignDatabase(t *testing.T) {
	for name, content := range map[string]string{"empty": "", "foreign": "this is not a database\n"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "switchboard.db")
			if err := os.WriteFile(db, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out := runOnce(t, dir)
			if code != 1 || !strings.Contains(out, "not a Switchboard database") {
				t.Errorf("exit %d, output %q; want exit 1 and \"not a Switchboard database\"", code, out)
			}
			if b, _ := os.ReadFile(db); string(b) != content {
				t.Errorf("the refused file was changed to %q", b)
			}
		})
	}
}

// The journal's seq continues across a restart on the same -data: no
// event of the second run reuses a seq of the first.
func TestBinaryJournalSeqContinues(t *testing.T) {
	dir := t.TempDir()
	put := func(g *child, id string) {
		t.Helper()
		c := dialAdmin(t, g)
		defer c.Close()
		c.MustCall("queue.put", map[string]any{"id": id, "name": id}, nil)
	}
	list := func(g *child) []uint64 {
		t.Helper()
		c := dialAdmin(t, g)
		defer c.Close()
		var evs []struct {
			Seq uint64 `json:"seq"`
		}
		c.MustCall("events.list", map[string]any{"limit": 1000}, &evs)
		var seqs []uint64
		for _, e := range evs {
			seqs = append(seqs, e.Seq)
		}
		return seqs
	}
	g := startGateway(t, 48000, "-data", dir, "-admin-token", "tok")
	put(g, "q1")
	deadline := time.Now().Add(10 * time.Second)
	for len(list(g)) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := g.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	_ = g.cmd.Wait()
	g2 := startGateway(t, 48000, "-data", dir, "-admin-token", "tok")
	put(g2, "q2")
	var seqs []uint64
	for deadline = time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if seqs = list(g2); len(seqs) >= 2 {
			break
		}
	}
	if len(seqs) < 2 {
		t.Fatalf("events after restart: %v", seqs)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("seq %d after %d across a restart: %v", seqs[i], seqs[i-1], seqs)
		}
	}
}
