package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockFileName is the lock inside -data. It is a file of its own: SQLite's
// POSIX locks on the database would be released by closing any other
// descriptor of it.
const lockFileName = "switchboard.lock"

// errDataDirInUse is the start-up error of a second process on one -data
// (PROTOCOL §14: it exits 1 with "data directory in use").
var errDataDirInUse = errors.New("data directory in use")

// lockDataDir takes an exclusive flock on dir's lock file, held until
// release (or the process's end, however it ends: the kernel drops it).
func lockDataDir(dir string) (release func(), err error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data dir lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close() // read nothing, wrote nothing: the flock error is the one returned
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is held by another switchboard process", errDataDirInUse, path)
		}
		return nil, fmt.Errorf("data dir lock %s: %w", path, err)
	}
	// The pid is for the operator, best effort; the lock is the flock.
	_ = f.Truncate(0)
	_, _ = fmt.Fprintf(f, "%d\n", os.Getpid())
	return func() {
		// Nothing to report: closing the file drops the flock in any case,
		// and so does the process's end.
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}
