package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runOnce starts the binary on dataDir and expects it to exit by itself;
// it returns the exit code and stderr.
func runOnce(t *testing.T, dataDir string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), "-sip-addr", "127.0.0.1:"+strconv.Itoa(freePort(t)),
		"-http-addr", "127.0.0.1:"+strconv.Itoa(freePort(t)), "-media-ip", "127.0.0.1", "-rtp-ports", "46000-46099",
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
