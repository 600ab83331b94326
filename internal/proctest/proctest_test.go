package proctest

import (
	"bufio"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// start runs sh -c script, waits for the first line it prints, and returns
// it with the channel closed once it has exited.
func start(t *testing.T, script string) (*exec.Cmd, <-chan struct{}) {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
		t.Fatalf("%s: %v", script, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	return cmd, exited
}

// TestStopSignals: a process that ends on the signal is stopped by it,
// well within the grace period, and was not killed.
func TestStopSignals(t *testing.T) {
	cmd, exited := start(t, "echo ready; exec sleep 30")
	began := time.Now()
	Stop(cmd.Process, syscall.SIGTERM, exited, 10*time.Second)
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("Stop took %v for a process that ends on SIGTERM", d)
	}
	if ws := cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("process ended with %v, want SIGTERM", cmd.ProcessState)
	}
}

// TestStopKills: a process that ignores the signal is killed once the
// grace period has passed, not before.
func TestStopKills(t *testing.T) {
	cmd, exited := start(t, `trap "" TERM; echo ready; while :; do sleep 0.05; done`)
	began := time.Now()
	Stop(cmd.Process, syscall.SIGTERM, exited, 300*time.Millisecond)
	if d := time.Since(began); d < 300*time.Millisecond {
		t.Errorf("Stop returned after %v, before the grace period", d)
	}
	if ws := cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("process ended with %v, want SIGKILL", cmd.ProcessState)
	}
}

// TestStopExited: a process that has exited already returns at once.
func TestStopExited(t *testing.T) {
	cmd, exited := start(t, "echo ready")
	<-exited
	began := time.Now()
	Stop(cmd.Process, syscall.SIGTERM, exited, 10*time.Second)
	if d := time.Since(began); d > time.Second {
		t.Errorf("Stop took %v for a process that had exited", d)
	}
}
