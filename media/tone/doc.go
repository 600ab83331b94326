// Package tone generates and detects pure tones in 8 kHz linear PCM.
//
// It is how the project checks audio end to end: a party sends a sine at its
// own frequency and the other end asks, with the Goertzel algorithm, how much
// of what it received is that frequency. Tests, the load generator and the
// gateway's own announcements (ringback, call-waiting beeps) use it.
//
// Everything here is pure and allocation-free; a Sine is not safe for
// concurrent use.
package tone
