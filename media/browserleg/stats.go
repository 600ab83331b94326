package browserleg

import "time"

// Default ICE consent timeouts, the same for both engines (issue 20).
const (
	// DefaultDisconnectedTimeout: silence from the browser (no media, no
	// ICE binding) this long makes a connected leg Disconnected.
	DefaultDisconnectedTimeout = 5 * time.Second
	// DefaultFailedTimeout: further silence after Disconnected before Failed.
	DefaultFailedTimeout = 5 * time.Second
)

// SocketBuffer is the kernel buffer size both engines ask for their shared
// UDP socket (Linux caps it at net.core.[rw]mem_max).
const SocketBuffer = 4 << 20

// Stats are a leg's counters since Accept.
type Stats struct {
	State           State
	PacketsSent     uint64 // RTP packets handed to SRTP toward the browser
	BytesSent       uint64 // payload bytes in them
	PacketsReceived uint64 // G.711 packets from the browser delivered to the sink
	BytesReceived   uint64 // payload bytes in them
	PacketsDropped  uint64 // WritePacket calls before the leg was connected or after it failed
	PacketsIgnored  uint64 // received packets that were not PCMU/PCMA or not RTP
	WriteErrors     uint64 // SRTP/socket write errors
	SinkErrors      uint64 // errors returned by the sink
	RTCPReceived    uint64 // SRTCP compound packets taken from the browser (lean engine)
	RTCPSent        uint64 // SRTCP reports sent (lean engine)
}
