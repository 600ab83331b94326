package loadgen

import "time"

// baselinePairs is how many socket pairs measure the baseline (each gives
// one probe per second).
const baselinePairs = 8

// baseline is a set of plain RTP socket pairs inside the generator: their
// probe delays are what the generator itself adds (pacing, socket, reader
// wake-up) without any gateway, measured under the same load.
type baseline struct {
	pace  *pacer
	pairs [][2]*call
}

// newBaseline makes the pairs on r's loops (both ends of a pair on the
// same loop) and starts their sources.
func newBaseline(r *runner) (*baseline, error) {
	b := &baseline{pace: &r.pace}
	for i := range baselinePairs {
		li, mux := r.pickLoop()
		from, err := newCall(mux, li, 1_000_000+2*i, nil)
		if err != nil {
			b.close()
			return nil, err
		}
		to, err := newCall(mux, li, 1_000_001+2*i, nil)
		if err != nil {
			_ = from.end.Close()
			b.close()
			return nil, err
		}
		b.pairs = append(b.pairs, [2]*call{from, to})
		from.remote = to.local
		to.callerRx.bind(from.src.freq, from.src)
		to.callerRx.mu.Lock()
		to.callerRx.acceptAt = time.Now()
		to.callerRx.mu.Unlock()
		b.pace.add(from.src)
	}
	return b, nil
}

func (b *baseline) close() {
	for _, pr := range b.pairs {
		b.pace.remove(pr[0].src)
		_ = pr[0].end.Close()
		_ = pr[1].end.Close()
	}
}

// result merges the pairs' probe delays.
func (b *baseline) result() rxResult {
	var r rxResult
	for _, pr := range b.pairs {
		r.Latency = append(r.Latency, pr[1].callerRx.finish().Latency...)
	}
	return r
}
