package media

import "math"

// Quality is what one party's stream into the gateway looked like
// (PROTOCOL §9 "Call quality"): measured on the packets the gateway
// received from that party (loss from sequence numbers, interarrival
// jitter per RFC 3550 A.8), combined with that party's RTCP reports (round
// trip time from its report blocks about our stream, RFC 3550 §6.4.1).
type Quality struct {
	Packets     uint64   `json:"packets"`          // RTP packets received
	Lost        uint64   `json:"lost"`             // expected minus received (never negative)
	LossPercent float64  `json:"loss_percent"`     // Lost per 100 expected
	JitterMS    float64  `json:"jitter_ms"`        // RFC 3550 A.8 interarrival jitter, ms
	RTTMS       *float64 `json:"rtt_ms,omitempty"` // round trip from RTCP, when the party reported
	MOS         float64  `json:"mos"`              // E-model estimate, 1 to 4.5
}

// E-model constants (ITU-T G.107 default values; G.113 Appendix I for
// G.711 with packet-loss concealment).
const (
	emodelR0Is = 93.2 // Ro − Is with every default parameter
	g711Ie     = 0    // equipment impairment of G.711
	g711PLCBpl = 25.1 // packet-loss robustness of G.711 with PLC (Appendix I of G.113)
	// mouthToEar is the fixed part of the one-way delay the gateway adds or
	// assumes: 20 ms packetization, 20 ms of jitter buffer, 10 ms of
	// processing and network.
	mouthToEar = 50.0 // ms
)

// MOS returns the E-model estimate (ITU-T G.107 §3, with the simplified
// delay impairment of Cole and Rosenbluth) for G.711 with packet-loss
// concealment and random loss (BurstR 1): lossPercent of packets lost,
// jitterMS of interarrival jitter (it costs twice its value in jitter buffer
// delay) and rttMS round trip (half of it one-way; negative means unknown,
// counted as 0).
func MOS(lossPercent, jitterMS, rttMS float64) float64 {
	ppl := math.Max(0, math.Min(100, lossPercent))
	ieEff := g711Ie + (95-g711Ie)*ppl/(ppl+g711PLCBpl) // G.107 (7-29), BurstR = 1
	d := mouthToEar + 2*math.Max(0, jitterMS) + math.Max(0, rttMS)/2
	id := 0.024 * d // G.107 delay impairment, simplified
	if d > 177.3 {
		id += 0.11 * (d - 177.3)
	}
	r := emodelR0Is - id - ieEff
	switch {
	case r <= 0:
		return 1
	case r >= 100:
		return 4.5
	}
	return 1 + 0.035*r + r*(r-60)*(100-r)*7e-6 // G.107 Annex B (B-4)
}

// Finish fills LossPercent and MOS from the counts and times.
func (q *Quality) Finish() {
	expected := q.Packets + q.Lost
	q.LossPercent = 0
	if expected > 0 {
		q.LossPercent = math.Round(float64(q.Lost)*10000/float64(expected)) / 100
	}
	rtt := -1.0
	if q.RTTMS != nil {
		rtt = *q.RTTMS
	}
	q.MOS = math.Round(MOS(q.LossPercent, q.JitterMS, rtt)*100) / 100
}
