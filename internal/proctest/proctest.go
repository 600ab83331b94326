// Package proctest stops the processes that tests start (redis-server,
// the gateway binary): a signal first, SIGKILL when the process has not
// exited within a grace period; and runs such a process keeping its output
// lines (Start). The tests of several packages share it, so that each does
// not keep its own copy of the select and of the output reader.
package proctest

import (
	"os"
	"time"
)

// Stop sends sig to p and waits until exited is closed (by the goroutine
// that waits for p); if that takes longer than grace, it kills p and waits
// again. A p that has exited already returns at once.
func Stop(p *os.Process, sig os.Signal, exited <-chan struct{}, grace time.Duration) {
	_ = p.Signal(sig) // it has exited already: exited is closed or soon will be
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-exited:
	case <-t.C:
		_ = p.Kill() // it exited meanwhile: exited is closed or soon will be
		<-exited
	}
}
