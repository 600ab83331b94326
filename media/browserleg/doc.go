// Package browserleg holds what the browser-leg engines share, so that
// neither imports the other: the connection State a leg reports, the Stats
// counters, the offer errors with their protocol reasons (OfferError), the
// configuration both engines take (Config: address, port, ICE timeouts
// with their defaults, logger), the mapping of an SDP audio format
// to a G.711 codec (CodecForFormat), a leg's state and how it reports a
// change (Notifier: the OnState callback, Done and the transition's log
// line), and the methods a leg exports over those (Methods: Start,
// SetSink, OnState, Done and Stats).
//
// media/webrtcleg (the pion/webrtc engine) and media/webrtcleg/lean (the
// shipped engine) both import it; it links no pion/webrtc (its deptest
// forbids it), only pion/sdp for the format mapping.
package browserleg
