package loadgen

import (
	"encoding/json"
	"testing"
	"time"
)

// TestPlacingWindowTooShort: a run cancelled right after it started has a
// placing window that rounds to 0 s; its report must still marshal (it used
// to hold +Inf calls/s, and -compare's whole -json failed on it).
func TestPlacingWindowTooShort(t *testing.T) {
	rep := &Report{Attempted: 1}
	start := time.Now()
	rep.placing(nil, start, start.Add(100*time.Microsecond))
	if _, err := json.Marshal(rep); err != nil {
		t.Fatalf("report of a 0.1 ms placing window: %v", err)
	}
}
