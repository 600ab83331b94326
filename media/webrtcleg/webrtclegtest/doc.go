// Package webrtclegtest provides a pion "browser" for tests of the browser
// leg and of anything built on it: a real PeerConnection on loopback that
// offers G.711 audio, sends a paced tone or silence, records what it hears
// and can vanish without a word (to exercise consent-freshness detection).
package webrtclegtest
