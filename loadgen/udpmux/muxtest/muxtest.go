// Package muxtest starts a udpmux.Mux for a test.
package muxtest

import (
	"errors"
	"testing"

	"switchboard/loadgen/udpmux"
	"switchboard/media/udploop"
)

// New starts a loop and a Mux on it with addresses 127.network.x.y, both
// closed at the test's end after what the test opens on them later
// (cleanups run last first); it skips the test where udploop is not
// available.
func New(t testing.TB, network byte) *udpmux.Mux {
	t.Helper()
	l, err := udploop.NewShards(1)
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip("udploop is Linux only")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	m, err := udpmux.New(l, network)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}
