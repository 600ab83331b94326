package webtest

import (
	"os"
	"strconv"
	"time"
)

// Slack multiplies every timeout this package waits with, explicit or
// DefaultTimeout: 3 under the race detector (CI runs the suite with -race on
// a 2-core machine, where Chromium, the gateway under test and the other
// packages' tests share the cores), 1 otherwise. SB_TEST_SLACK=n sets it.
// A longer wait never makes a test pass that should fail: every wait polls
// a condition and returns as soon as it holds.
var Slack = slack()

func slack() float64 {
	if v, err := strconv.ParseFloat(os.Getenv("SB_TEST_SLACK"), 64); err == nil && v >= 1 {
		return v
	}
	if raceEnabled {
		return 3
	}
	return 1
}

// Scaled is d (DefaultTimeout when 0) times Slack: for a test's own waits
// beside this package's.
func Scaled(d time.Duration) time.Duration {
	if d == 0 {
		d = DefaultTimeout
	}
	return time.Duration(float64(d) * Slack)
}
