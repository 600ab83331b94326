// Package udpmux lets the load generator's parties share a few UDP
// sockets instead of one each, each party still sending from and
// receiving on an address of its own (Linux).
//
// Why: with a socket per party the generator makes one sendto per frame
// sent and, on a 1 ms clock, about one recvmmsg per frame received (each
// socket gets one datagram per 20 ms): at 200 calls half of its CPU was
// those syscalls. On one socket everything queued in a tick leaves in one
// sendmmsg and everything received is read 64 datagrams per recvmmsg.
//
// How: a Mux is one socket bound to 0.0.0.0 on a port the kernel picks,
// bound to the loopback device (SO_BINDTODEVICE lo: nothing from another
// interface reaches it), on a udploop.Loop. Each End is an address
// 127.N.x.y (N the Mux's network, x.y from its index) at the Mux's port:
// Linux routes all of 127/8 to lo and treats it as local, so a datagram
// sent there arrives on the Mux's socket, which learns the address it was
// sent to from IP_PKTINFO and hands it to that End; sends carry an
// IP_PKTINFO with the End's address as source. On the wire every End is
// its own 5-tuple, exactly as a socket of its own would be.
//
// Concurrency: onRecv runs on the loop's goroutine; End.WriteTo and
// End.Queue may be called from any goroutine (Queue's datagrams leave at
// the end of the loop's tick, with the rest of that tick's). Nothing on
// the per-packet path allocates.
package udpmux
