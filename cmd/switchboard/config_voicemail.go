package main

import (
	"flag"
	"path/filepath"
	"time"

	"switchboard/agent"
)

// Voicemail are the §11 voicemail flags.
type Voicemail struct {
	Max       time.Duration // -voicemail-max: the longest message
	Retention time.Duration // -voicemail-retention: older messages are deleted; 0 keeps them
}

// DefaultVoicemailRetention is -voicemail-retention's default (30 days).
const DefaultVoicemailRetention = 30 * 24 * time.Hour

// voicemailFlags declares the Voicemail flags on fs; the returned function
// checks them (after fs.Parse) into c, reporting errors through bad.
func voicemailFlags(fs *flag.FlagSet) func(c *Config, bad func(flag, val, why string)) {
	maxLen := fs.Duration("voicemail-max", agent.DefaultVoicemailMax, "the longest voicemail message; the caller is cut off after it")
	keep := fs.Duration("voicemail-retention", DefaultVoicemailRetention, "voicemail messages older than this are deleted (0 keeps them)")
	return func(c *Config, bad func(flag, val, why string)) {
		if *maxLen < 2*agent.MinVoicemail || *maxLen > time.Hour {
			bad("voicemail-max", maxLen.String(), "must be between 2s and 1h")
		}
		if *keep < 0 || (*keep > 0 && *keep < time.Minute) {
			bad("voicemail-retention", keep.String(), "must be 0 (keep) or at least 1m")
		}
		c.Voicemail = Voicemail{Max: *maxLen, Retention: *keep}
	}
}

// voicemailDir is where the messages' audio lives: under -data.
func voicemailDir(dataDir string) string { return filepath.Join(dataDir, "voicemail") }
