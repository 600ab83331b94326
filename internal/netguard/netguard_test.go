package netguard

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

// failingListener fails Accept with EMFILE n times, then accepts from l.
type failingListener struct {
	net.Listener
	fails chan struct{} // one token per failure still to come
}

func (f *failingListener) Accept() (net.Conn, error) {
	select {
	case <-f.fails:
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: syscall.EMFILE}
	default:
		return f.Listener.Accept()
	}
}

func TestAcceptRetriesTransientErrors(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fl := &failingListener{Listener: inner, fails: make(chan struct{}, 5)}
	for range 5 {
		fl.fails <- struct{}{}
	}
	l := Listen(fl, Config{Name: "test"})
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			t.Errorf("Accept returned %v, want a connection after the EMFILEs", err)
			close(accepted)
			return
		}
		accepted <- c
	}()
	deadline := time.Now().Add(5 * time.Second)
	for l.Err() == nil && len(fl.fails) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("Err stayed nil while Accept failed")
		}
		time.Sleep(time.Millisecond)
	}
	c, err := net.Dial("tcp", inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case sc := <-accepted:
		if sc == nil {
			return
		}
		sc.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("no connection accepted after the transient errors")
	}
	if err := l.Err(); err != nil {
		t.Errorf("Err = %v after a successful Accept, want nil", err)
	}
}

func TestAcceptReturnsOnClose(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := Listen(inner, Config{})
	done := make(chan error, 1)
	go func() { _, err := l.Accept(); done <- err }()
	l.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after Close = %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept did not return after Close")
	}
}

func TestBudget(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := NewBudget(2, 1)
	l := Listen(inner, Config{Budget: b})
	defer l.Close()
	got := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			got <- c
		}
	}()
	dial := func(from string) net.Conn {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		c, err := d.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	dial("127.0.0.1")
	first := <-got
	dial("127.0.0.1") // over the per-source cap: closed by the listener
	dial("127.0.0.2")
	<-got
	deadline := time.Now().Add(5 * time.Second)
	for b.Refused() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("Refused = %d, want 1", b.Refused())
		}
		time.Sleep(time.Millisecond)
	}
	if b.Open() != 2 {
		t.Errorf("Open = %d, want 2", b.Open())
	}
	first.Close()
	first.Close() // idempotent: releases once
	if b.Open() != 1 {
		t.Errorf("Open after Close = %d, want 1", b.Open())
	}
}

// A listener whose EMFILE is over reports healthy even when no connection
// arrives to prove it: Accept then blocks, it does not fail. Before, Err kept
// the old error until the next connection, and /healthz stayed 503 on a
// quiet listener (TestBinaryNoSilentOutageOnEMFILE's HTTP side).
func TestErrClearsWhenDescriptorsReturn(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fl := &failingListener{Listener: inner, fails: make(chan struct{}, 3)}
	for range 3 {
		fl.fails <- struct{}{}
	}
	l := Listen(fl, Config{Name: "quiet"})
	done := make(chan struct{})
	go func() {
		defer close(done)
		if c, err := l.Accept(); err == nil {
			c.Close()
			t.Error("accepted a connection nobody made")
		}
	}()
	defer func() { l.Close(); <-done }()
	deadline := time.Now().Add(5 * time.Second)
	for len(fl.fails) > 0 || l.Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("Err = %v with %d failures to come and descriptors free, want nil", l.Err(), len(fl.fails))
		}
		time.Sleep(time.Millisecond)
	}
}
