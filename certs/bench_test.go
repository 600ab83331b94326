package certs_test

import (
	"crypto/tls"
	"net"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"switchboard/certs"
	"switchboard/certs/certstest"
)

// threadCPU is the CPU time of the calling OS thread (RUSAGE_THREAD).
func threadCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTLSHandshake measures the server's CPU per TLS handshake with
// the gateway's server configuration (certs.Files: ECDSA P-256 leaf, TLS
// 1.3): a full handshake (a browser's first page or websocket) and a
// resumed one (its next connections within the ticket lifetime). The
// server side runs on its own locked OS thread and its CPU time is read
// from RUSAGE_THREAD, so the client's work is not counted; the reported
// metric is server-cpu-us/handshake.
func BenchmarkTLSHandshake(b *testing.B) {
	ca := certstest.NewCA(b)
	dir := b.TempDir()
	leaf := ca.Issue(dir, 9)
	crt, key := filepath.Join(dir, "live.crt"), filepath.Join(dir, "live.key")
	certstest.Install(b, leaf, crt, key)
	f, err := certs.LoadFiles(crt, key)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		resume bool
	}{{"full", false}, {"resumed", true}} {
		b.Run(tc.name, func(b *testing.B) {
			srvCfg := f.TLSConfig()
			cliCfg := ca.ClientConfig()
			cliCfg.ServerName = "localhost"
			if tc.resume {
				cliCfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)
			}
			conns := make(chan net.Conn) // server ends, unbuffered: one handshake at a time
			cpu := make(chan time.Duration, 1)
			go func() { // the server: one locked thread, CPU measured there
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				var total time.Duration
				for c := range conns {
					t0 := threadCPU()
					s := tls.Server(c, srvCfg)
					err := s.Handshake()
					// A TLS 1.3 server sends its tickets after the handshake:
					// reading the client's close flushes them.
					var one [1]byte
					_, _ = s.Read(one[:])
					total += threadCPU() - t0
					if err != nil {
						b.Error(err)
					}
					_ = s.Close()
				}
				cpu <- total
			}()
			handshake := func() {
				cc, sc := net.Pipe()
				conns <- sc
				c := tls.Client(cc, cliCfg)
				if err := c.Handshake(); err != nil {
					b.Fatal(err)
				}
				_ = c.Close()
			}
			if tc.resume {
				handshake() // the first one is full: it gets the ticket
			}
			n := 0
			for b.Loop() {
				n++
				handshake()
			}
			close(conns)
			total := <-cpu
			if tc.resume {
				n++
			}
			b.ReportMetric(float64(total.Microseconds())/float64(n), "server-cpu-us/handshake")
		})
	}
}
