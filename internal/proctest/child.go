package proctest

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Child is a process started by Start whose output the test keeps, line
// by line.
type Child struct {
	Cmd *exec.Cmd

	exited chan struct{} // closed once the output is read and Cmd waited for
	stop   sync.Once
	sig    os.Signal
	grace  time.Duration

	mu    sync.Mutex
	lines []string
}

// Start starts cmd with its stdout and stderr read into Lines. Stop (or
// the end of t) sends sig, and SIGKILL when cmd has not exited within
// grace; when t failed, the end of t logs every line, prefixed with name.
// A cmd that cannot start fails t.
func Start(t testing.TB, name string, cmd *exec.Cmd, sig os.Signal, grace time.Duration) *Child {
	t.Helper()
	c := &Child{Cmd: cmd, exited: make(chan struct{}), sig: sig, grace: grace}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			c.mu.Lock()
			c.lines = append(c.lines, sc.Text())
			c.mu.Unlock()
		}
		_ = cmd.Wait() // its exit status is not the test's concern: the test checks what the process did
		close(c.exited)
	}()
	t.Cleanup(func() {
		c.Stop()
		if t.Failed() {
			for _, l := range c.Lines() {
				t.Log(name + ": " + l)
			}
		}
	})
	return c
}

// Stop stops the process as Start says and returns once it has exited and
// its output is read. Later calls return at once.
func (c *Child) Stop() {
	c.stop.Do(func() { Stop(c.Cmd.Process, c.sig, c.exited, c.grace) })
}

// Exited is closed once the process has exited and its output is read.
func (c *Child) Exited() <-chan struct{} { return c.exited }

// Lines returns the output lines so far.
func (c *Child) Lines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lines...)
}

// Logged reports whether some output line so far contains part.
func (c *Child) Logged(part string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.lines {
		if strings.Contains(l, part) {
			return true
		}
	}
	return false
}
