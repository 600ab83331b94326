package webtest

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Slack multiplies every timeout this package waits with, explicit or
// DefaultTimeout: 3 under the race detector (CI runs the suite with -race on
// a 2-core machine, where Chromium, the gateway under test and the other
// packages' tests share the cores), 1 otherwise, and at least the machine's
// load per core when the test binary starts (up to 5: a machine running
// three times more than it has cores runs each page three times slower).
// SB_TEST_SLACK=n sets it.
// A longer wait never makes a test pass that should fail: every wait polls
// a condition and returns as soon as it holds.
var Slack = slack()

func slack() float64 {
	if v, err := strconv.ParseFloat(os.Getenv("SB_TEST_SLACK"), 64); err == nil && v >= 1 {
		return v
	}
	s := 1.0
	if raceEnabled {
		s = 3
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			if load, err := strconv.ParseFloat(f[0], 64); err == nil {
				s = max(s, min(load/float64(runtime.NumCPU()), 5))
			}
		}
	}
	return s
}

// Scaled is d (DefaultTimeout when 0) times Slack: for a test's own waits
// beside this package's.
func Scaled(d time.Duration) time.Duration {
	if d == 0 {
		d = DefaultTimeout
	}
	return time.Duration(float64(d) * Slack)
}
