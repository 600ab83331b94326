// Package prompts holds the gateway's own voice prompts: 8 kHz mono 16-bit
// WAV files recorded with espeak-ng at development time (see generate.sh)
// and embedded in the binary. Load decodes them into media clips.
package prompts
