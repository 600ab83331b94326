package main

import (
	"flag"
	"time"

	"switchboard/recordings"
)

// Recording are the §12 recording flags.
type Recording struct {
	// Retention (-recording-retention): recordings older than this are
	// deleted (checked at start and hourly).
	Retention time.Duration
}

// recordingFlags declares the Recording flags on fs; the returned function
// checks them (after fs.Parse) into c, reporting errors through bad.
func recordingFlags(fs *flag.FlagSet) func(c *Config, bad func(flag, val, why string)) {
	keep := fs.Duration("recording-retention", recordings.DefaultRetention, "call recordings (queues or agents with record: true, files under <data>/recordings) older than this are deleted; checked at start and hourly")
	return func(c *Config, bad func(flag, val, why string)) {
		if *keep <= 0 {
			bad("recording-retention", keep.String(), "must be positive")
		}
		c.Recording = Recording{Retention: *keep}
	}
}
