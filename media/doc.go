// Package media is the audio plane's vocabulary: codecs, 20 ms frames, the
// Packet that travels between legs, and (in later files) the per-agent switch
// that decides what each party hears.
//
// It knows nothing of SIP dialogs, websockets, agents or routing, and it does
// not import pion/webrtc: the legs live in media/rtpleg (plain RTP toward the
// trunk) and media/webrtcleg (the browser), and both speak to the rest of the
// plane through PacketWriter.
//
//	trunk ──rtpleg──▶ PacketWriter ─▶ switch ─▶ PacketWriter ──webrtcleg──▶ browser
//	trunk ◀──rtpleg── PacketWriter ◀─ switch ◀─ PacketWriter ◀──webrtcleg── browser
//
// Concurrency: Codec helpers are pure. A PacketWriter's own doc says which
// goroutines may call it.
package media
