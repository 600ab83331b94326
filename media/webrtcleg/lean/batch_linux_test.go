package lean

import (
	"net/netip"
	"os"
	"testing"

	"golang.org/x/sys/unix"
	"switchboard/media/browserleg"
)

// TestReadBufferForced: with CAP_NET_ADMIN (root here) the shared socket's
// receive buffer is forced to forcedReadBuffer, past net.core.rmem_max.
func TestReadBufferForced(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SO_RCVBUFFORCE needs CAP_NET_ADMIN: run as root to check it")
	}
	e, err := New(Config{Config: browserleg.Config{IP: netip.MustParseAddr("127.0.0.1")}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	rc, err := e.conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var got int
	var gerr error
	if err := rc.Control(func(fd uintptr) { got, gerr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF) }); err != nil || gerr != nil {
		t.Fatal(err, gerr)
	}
	if got < 2*forcedReadBuffer { // the kernel reports twice the size set
		t.Errorf("SO_RCVBUF = %d, want %d (2 × %d forced)", got, 2*forcedReadBuffer, forcedReadBuffer)
	}
}
