// Package cluster holds what PROTOCOL §13 keeps in Redis (go-redis): the
// router leader's lease with its fencing token (Lease, Elect), the check
// a node makes before acting on a decision (Fence), and the nodes'
// presence (Presence). It keeps no routing state of its own and makes no
// routing decision; nothing here is a home-made consensus: Redis (one
// instance) is the arbiter.
//
// The lease is one key, <prefix>:leader = "<node> <token>", set with
// SET NX PX (TTL) and renewed by its holder only (a script compares the
// value first). The token comes from INCR <prefix>:fence in the same
// script, so every new leadership has a strictly larger token than any
// before. A leader that pauses past its TTL loses the key; when it
// resumes, its renewal fails and its decisions carry a stale token, which
// Fence refuses (the token is compared with the counter in Redis and with
// the highest token the node has seen). So two routers that overlap in
// time cannot both have their decisions acted upon.
//
// Concurrency: all types are safe for concurrent use. Elect runs until its
// context ends; its caller waits for it.
//
// Floor is the leader's side of "one router" (pure: no I/O, no clock):
// one router.Router fed with every node's Facts (msg.go), whose events
// become Decisions addressed to the node that acts on them, each carrying
// the term's fencing token. A new leader's Floor rebuilds from the nodes'
// Reports before it routes; NodeLost ends what a dead node held (node_lost
// to the other end of its bridged calls).
//
// Commander carries commands between nodes (an admin console's action on a
// call another node holds) over Redis pub/sub, each answered within a
// bound or reported unanswered, and never done after its deadline.
//
// Not here yet: cross-node bridging (SIP/RTP between nodes) and the agent
// core acting on decisions (see docs/CLUSTER.md).
package cluster
