// Package udploop runs the media plane's UDP sockets on short clocks (one
// per shard) instead of the Go runtime's netpoller, so that a datagram
// arriving wakes nobody (Linux; elsewhere New returns ErrUnsupported and the legs read
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
// How: shards (New: GOMAXPROCS of them), each a goroutine with its own
// epoll set (level-triggered) of raw non-blocking sockets that the runtime
// does not watch. While traffic flows, a shard sleeps until its next tick,
// takes its ready sockets from epoll without waiting, runs each one's
// handler once, then every Ticker's Tick. When a round (or a few in a row:
// 1, up to IdleTicks while its parks keep ending within 2 ticks, as in a
// steady stream) found nothing to do it stops the Tickers (they send at
// once from then on, as far as it goes) and parks as a goroutine in the
// runtime's netpoller until its next datagram (park_linux.go), so a
// shard costs nothing between a paced load's 20 ms bursts, an idle
// gateway nothing, and a lone datagram no delay.
//
// Placement: Listen puts a socket (a trunk call's) on the shard with the
// fewest; ListenGroup binds one SO_REUSEPORT socket per shard on one port
// (the browsers' shared port), so the kernel spreads the peers over the
// shards by address, each peer's datagrams staying on one shard, in order.
// So every shard carries a share of the browsers and of the calls.
//
// Latency: a datagram waits for its shard's next tick to be read (at most
// Tick plus the timer's lateness, ≈ 0.1 ms on an idle machine, ≈ 0.5 ms on
// average), and a packet a Ticker queues during a tick leaves at the end
// of the first tick of any shard to end.
//
// Fairness: within a shard every ready socket's handler runs once per
// round (handlers read a bounded batch: the rest is read next round), so
// one socket's backlog delays the others of its shard by a round at most;
// a shard's slow handler delays its own sockets only, and not for long:
// a shard that has been in one round for StuckAfter (2 ms; on an
// oversubscribed machine, a thread the OS preempted mid-round) has its
// other ready sockets read by the next shard to start a round
// (rescue_linux.go), with that shard's buffers, never two handler calls of
// one socket at once. A shard whose own clock is stopped rescues nobody.
//
// Why shards: on one goroutine the whole media plane gets one thread's
// share of a machine whose cores are oversubscribed instead of
// GOMAXPROCS threads' (at load 25 on 2 cores, 200 calls lost 5 % of the
// browsers' packets that way); with one shard per P it gets them again.
//
// Concurrency: a shard's handlers and Tickers run on its goroutine, one at
// a time; Tickers run on every shard, so at the same time from different
// shards. Conn.Close may be called from any goroutine except that of its
// own handler; once it returns the handler does not run again. Writes may
// come from any goroutine.
package udploop
