package loadgen

import (
	"sync"
	"time"
)

// baseline is a plain RTP socket pair inside the generator: its probe
// delays are what the generator itself adds (pacing, socket, reader
// wake-up) without any gateway, measured under the same load.
type baseline struct {
	pace     *pacer
	from, to *call
	wg       sync.WaitGroup
}

func newBaseline(p *pacer) (*baseline, error) {
	from, err := newCall(1_000_001)
	if err != nil {
		return nil, err
	}
	to, err := newCall(1_000_002)
	if err != nil {
		_ = from.conn.Close()
		return nil, err
	}
	b := &baseline{pace: p, from: from, to: to}
	from.remote = to.local
	to.callerRx.bind(from.src.freq, from.src)
	to.callerRx.mu.Lock()
	to.callerRx.acceptAt = time.Now()
	to.callerRx.mu.Unlock()
	b.wg.Go(to.readLoop)
	p.add(from.src)
	return b, nil
}

func (b *baseline) close() {
	b.pace.remove(b.from.src)
	_ = b.from.conn.Close()
	_ = b.to.conn.Close()
	b.wg.Wait()
}

func (b *baseline) result() rxResult { return b.to.callerRx.finish() }
