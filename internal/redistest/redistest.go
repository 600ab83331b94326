// Package redistest starts a throwaway redis-server for tests (Debian
// package redis-server): no persistence, no TCP port, one unix socket in
// a temporary directory. The test is skipped with a message when the
// binary is absent.
package redistest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/proctest"
)

// Server is a running throwaway redis-server.
type Server struct {
	Socket string // unix socket path
	cmd    *exec.Cmd
	done   chan struct{}
}

// Start starts a server, stopped when tb ends; it skips tb when
// redis-server is not installed.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Skip("redis-server not installed (Debian package redis-server): skipped")
	}
	dir := tb.TempDir()
	s := &Server{Socket: filepath.Join(dir, "redis.sock"), done: make(chan struct{})}
	s.cmd = exec.Command(bin, "--port", "0", "--unixsocket", s.Socket, "--unixsocketperm", "700",
		"--save", "", "--appendonly", "no", "--dir", dir, "--logfile", filepath.Join(dir, "redis.log"))
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		tb.Fatalf("redis-server: %v", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	tb.Cleanup(func() { proctest.Stop(s.cmd.Process, syscall.SIGTERM, s.done, 10*time.Second) })
	deadline := time.Now().Add(10 * time.Second)
	c := s.Client()
	defer c.Close()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return s
		}
		select {
		case <-s.done:
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			tb.Fatalf("redis-server exited: %s", log)
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("redis-server did not answer: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Client returns a new client of the server; the caller closes it.
func (s *Server) Client() *redis.Client {
	return redis.NewClient(&redis.Options{Network: "unix", Addr: s.Socket})
}

// URL returns the server's address in -cluster's form.
func (s *Server) URL() string { return "unix://" + s.Socket }
