package loadgen

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Media port blocks for the targets -compare starts: portBlocks blocks of
// portBlockSize ports from portBlockBase. A target holds its block by an
// exclusive flock on a file in the temp directory for as long as it runs,
// so two sbload processes (or two Compare calls in one process) running
// at once never hand the same media range to two targets. The kernel drops
// the lock when the holder exits, so a killed run leaves nothing behind.
const (
	portBlockBase  = 20000
	portBlockSize  = 5000 // rtpengine held 3 sockets per call (601 at 200 calls): 1,666 calls; Switchboard 2
	portBlockCount = 8    // 20000-59999
)

// portBlock is a held media port range [lo, hi].
type portBlock struct {
	lo, hi int
	f      *os.File
}

// errNoPortBlock means every block is held by another run.
var errNoPortBlock = errors.New("loadgen: every media port block (20000-59999) is in use by other sbload runs")

// lockPortBlock takes the first free block that holds none of avoid
// (control ports already bound by the target), locked in the temp directory.
func lockPortBlock(avoid ...int) (*portBlock, error) {
	return lockPortBlockIn(os.TempDir(), avoid...)
}

func lockPortBlockIn(dir string, avoid ...int) (*portBlock, error) {
	for i := range portBlockCount {
		lo := portBlockBase + i*portBlockSize
		hi := lo + portBlockSize - 1
		if holdsAny(lo, hi, avoid) {
			continue
		}
		path := filepath.Join(dir, fmt.Sprintf("sbload-ports-%d-%d.lock", lo, hi))
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return nil, fmt.Errorf("loadgen: port block lock: %w", err)
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &portBlock{lo: lo, hi: hi, f: f}, nil
		}
		_ = f.Close() // not ours; nothing written
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("loadgen: port block lock %s: %w", path, err)
		}
	}
	return nil, errNoPortBlock
}

func holdsAny(lo, hi int, ports []int) bool {
	for _, p := range ports {
		if p >= lo && p <= hi {
			return true
		}
	}
	return false
}

// release gives the block back (closing the file drops the flock).
func (b *portBlock) release() {
	if b != nil && b.f != nil {
		_ = b.f.Close() // the lock file is kept for the next run; closing unlocks
		b.f = nil
	}
}
