// Package loadgen drives a running Switchboard gateway with simulated
// agents and carrier calls and measures what it costs: the library behind
// cmd/sbload and loadgen's benchmark.
//
// Parties: each agent is a websocket session (/ws/agent) plus one
// browser-side leg (loadgen/leanclient, or a webrtcclient PeerConnection)
// that sends its own tone; each call is a trunkclient INVITE plus a plain
// RTP address that sends the caller's tone.
//
// Media: the generator's media loops (media/udploop, Config.Loops, one
// goroutine each on a 1 ms clock) each own one UDP socket (udpmux) shared
// by the callers and lean legs placed on that loop, each party at an
// address of its own (127.N.x.y): the loop reads the socket 64 datagrams
// per recvmmsg (no goroutine or netpoller wake-up per packet), hands each
// to its party and analyses it (Goertzel on the expected tone and on the
// probe tone, RTP sequence gaps, RFC 3550 jitter); on the same clock the
// pacer queues every party's 20 ms frame from the party's address, each
// frame encoded once per tone, and what a tick queued leaves in one
// sendmmsg per 64 (pacer.go). 0 allocations per packet
// (BenchmarkCallerPath, leanclient's BenchmarkMuxPath).
//
//	caller RTP ──► gateway ──► agent PeerConnection   ("caller→agent")
//	caller RTP ◄── gateway ◄── agent PeerConnection   ("agent→caller")
//
// Latency probes: once a second every source replaces two frames by a
// 3 kHz probe tone; the receiver timestamps the first probe frame and
// subtracts its send time. A plain UDP socket pair inside the generator
// measures the same way without the gateway (the loopback baseline).
//
// Gateway cost comes from /proc/<pid>/stat and /proc/<pid>/status,
// sampled every second.
//
// Concurrency: Run owns every goroutine it starts and returns after all
// of them have ended.
package loadgen
