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

// TestSteadyPerPacketDelivered: over the steady window the target's and
// the generator's CPU are divided by the packets the target delivered
// (1,000 a second here: 2 and 5 ticks a second are 20 and 50 µs each);
// the samples before the calls are up do not count.
func TestSteadyPerPacketDelivered(t *testing.T) {
	at := time.Now()
	var samples []sample
	for i := range 4 {
		s := sample{At: at.Add(time.Duration(i) * time.Second), Bridged: 10}
		if i == 0 {
			s.Bridged = 3 // ramping: outside the window
		}
		if i > 0 {
			k := int64(i - 1)
			s.Delivered, s.Gateway.Ticks, s.Self.Ticks, s.Machine = 500+1000*k, 100+2*k, 100+5*k, 300+7*k
		}
		samples = append(samples, s)
	}
	rep := &Report{}
	rep.Gateway.PID = 1
	rep.steady(samples, 10, false)
	g := rep.Gateway
	if g.SteadySeconds != 2 || g.DeliveredPPS != 1000 || g.CPUPerDeliveredMicros != 20 || rep.GeneratorCPUPerDeliveredMicros != 50 || rep.GeneratorCPUPercent != 5 {
		t.Fatalf("window %v s, %v packets/s delivered, target %v µs and generator %v µs (%v %%) per packet; want 2, 1000, 20, 50 (5)",
			g.SteadySeconds, g.DeliveredPPS, g.CPUPerDeliveredMicros, rep.GeneratorCPUPerDeliveredMicros, rep.GeneratorCPUPercent)
	}
}
