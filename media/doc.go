// Package media is the audio plane's vocabulary: codecs, 20 ms frames, the
// Packet that travels between legs, and the per-agent Switch that decides
// what each party hears (PROTOCOL.md §3), with the shared Pacer clock, music
// on hold, tones and prompts (Player).
//
// It knows nothing of SIP dialogs, websockets, agents or routing, and it does
// not import pion/webrtc: the legs live in media/rtpleg (plain RTP toward the
// trunk) and media/webrtcleg (the browser), and both speak to the rest of the
// plane through PacketWriter.
//
//	trunk ──rtpleg──▶ PacketWriter ─▶ switch ─▶ PacketWriter ──webrtcleg──▶ browser
//	trunk ◀──rtpleg── PacketWriter ◀─ switch ◀─ PacketWriter ◀──webrtcleg── browser
//
// Inside one agent's Switch:
//
//	fast path (leg read goroutines; one Active call, no ring tone):
//	  call input ──(Transcode if codecs differ)──────────────▶ agent writer
//	  agent input ─(Transcode if codecs differ)──────────────▶ active call's writer
//
//	mixing path (Pacer worker, every 20 ms):
//	  input ─▶ Decode ─▶ jitter buffer (1-3 frames, reorder, conceal) ─┐
//	                                        ring tone (call waiting) ──┤
//	                                   int32 sum, mix-minus, saturate ─┴▶ Encode ─▶ writer
//	  music on hold, ringback, silence: encoded once, shared ───────────────────▶ writer
//
// Each output receives exactly one frame per 20 ms whichever path feeds it,
// so path switches neither double a frame nor leave a gap of more than one.
// A Pacer with a Manual config lets tests advance that clock with Tick.
//
// Concurrency: Codec helpers are pure. A Pacer runs registered functions on
// a few worker goroutines (GOMAXPROCS by default); Close waits for them. A
// Switch is safe for concurrent use and holds one mutex per agent, including
// while it writes to a leg (so a state change is exact); a leg's WritePacket
// therefore must not block or call back into the Switch. Lock order: a
// Playback's or Switch's mutex, then the Pacer shard's (taken only by
// Register's cancel when a clip ends). A PacketWriter's own doc says which
// goroutines may call it.
package media
