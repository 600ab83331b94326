// Package udploop runs the media plane's UDP sockets on one short clock
// instead of the Go runtime's netpoller, so that a datagram arriving wakes
// nobody (Linux; elsewhere New returns ErrUnsupported and the legs read
// their sockets on goroutines as before).
//
// Why: at 200 calls the gateway receives 20,000 datagrams a second on 201
// sockets (one per trunk call, one shared by every browser). Read through
// the netpoller each datagram wakes a thread and a goroutine: about 0.3
// context switches, 0.2 epoll waits and 1.6 receive calls (one that finds
// nothing) per datagram, most of the gateway's CPU besides the kernel's own
// UDP work. On a 1 ms clock the process wakes 1,000 times a second whatever
// the traffic, each socket with data is read once per tick, and a user
// (the WebRTC engine) can send everything it queued during the tick in one
// sendmmsg.
//
// How: one goroutine, one epoll set (level-triggered) of raw non-blocking
// sockets that the runtime does not watch. While traffic flows, the loop
// sleeps until the next tick, takes the ready sockets from epoll without
// waiting, runs each one's handler, then every Ticker's Tick. When
// IdleTicks ticks in a row found nothing to do it stops the Tickers (they
// send at once from then on) and waits in epoll for the next datagram, so
// an idle gateway costs nothing and a lone datagram no delay.
//
// Latency: a datagram waits for the next tick to be read (at most Tick plus
// the timer's lateness, ≈ 0.1 ms on an idle machine, ≈ 0.5 ms on average),
// and a packet a Ticker queues during a tick leaves at its end.
//
// Cost: every socket's packets are handled on one goroutine, so on a
// machine whose cores are oversubscribed the media plane gets one thread's
// share of CPU instead of GOMAXPROCS threads' (at load 25 on 2 cores, 200
// calls lost 5 % of the browsers' packets that way): the gateway uses a
// Loop only with -media-loop.
//
// Concurrency: handlers and Tickers run on the loop's goroutine, one at a
// time; a slow handler delays every socket. Conn.Close may be called from
// any goroutine except that of its own handler; once it returns the handler
// does not run again. Writes may come from any goroutine.
package udploop
