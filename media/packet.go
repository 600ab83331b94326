package media

// Packet is one RTP audio payload passing between a leg and the switch.
//
// On the way in, a leg fills every field from the received RTP header. On the
// way out, a leg's writer ignores SequenceNumber and Timestamp and stamps its
// own SSRC, sequence numbers and timestamps, so an outgoing stream stays
// continuous whatever feeds it.
type Packet struct {
	Payload        []byte // encoded audio; one G.711 byte per sample
	Codec          Codec  // codec of Payload
	SequenceNumber uint16 // RTP sequence number as received
	Timestamp      uint32 // RTP timestamp as received
	Marker         bool   // RTP marker bit (start of a talkspurt)
}

// PacketWriter consumes audio packets.
//
// WritePacket must not retain p or p.Payload after it returns, and must not
// block on the network for long: media paths never stall a read loop.
type PacketWriter interface {
	WritePacket(p *Packet) error
}

// PacketWriterFunc adapts a function to PacketWriter.
type PacketWriterFunc func(p *Packet) error

// WritePacket calls f(p).
func (f PacketWriterFunc) WritePacket(p *Packet) error { return f(p) }

// Discard is a PacketWriter that drops every packet.
var Discard PacketWriter = PacketWriterFunc(func(*Packet) error { return nil })
