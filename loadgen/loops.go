package loadgen

import (
	"errors"
	"fmt"
	"runtime"

	"switchboard/loadgen/udpmux"
	"switchboard/media/udploop"
)

// maxLoops bounds Config.Loops.
const maxLoops = 8

// muxNet is the second octet of the first loop's addresses (udpmux):
// loop i's parties are at 127.(muxNet+i).x.y.
const muxNet = 201

// mediaLoop is one of the generator's media loops (udploop) and the
// socket its parties share (udpmux): each caller and lean browser leg
// has an address on one loop's Mux, read on that loop's clock, and the
// pacer sends its frames there.
type mediaLoop struct {
	loop *udploop.Loop
	mux  *udpmux.Mux
}

// newLoops starts n media loops, each with its Mux. n ≤ 0 means
// GOMAXPROCS (at most 4).
func newLoops(n int) ([]mediaLoop, error) {
	if n <= 0 {
		n = min(runtime.GOMAXPROCS(0), 4)
	}
	n = min(n, maxLoops)
	var loops []mediaLoop
	for i := range n {
		l, err := udploop.NewShards(1) // one goroutine: the wheel and the Mux tick on it
		if err != nil {
			closeLoops(loops)
			if errors.Is(err, errors.ErrUnsupported) {
				return nil, fmt.Errorf("loadgen: the generator's media loops need Linux: %w", err)
			}
			return nil, fmt.Errorf("loadgen: %w", err)
		}
		m, err := udpmux.New(l, byte(muxNet+i))
		if err != nil {
			_ = l.Close()
			closeLoops(loops)
			return nil, fmt.Errorf("loadgen: %w", err)
		}
		loops = append(loops, mediaLoop{loop: l, mux: m})
	}
	return loops, nil
}

// closeLoops closes the Muxes and stops the loops (after every address
// on them is closed).
func closeLoops(loops []mediaLoop) {
	for _, l := range loops {
		_ = l.mux.Close()  // what is still queued is dropped: the run is over
		_ = l.loop.Close() // errors closing the epoll and eventfd descriptors change nothing
	}
}

// pickLoop returns the next loop in turn and its index (source.loop).
func (r *runner) pickLoop() (int, *udpmux.Mux) {
	i := int(r.nextLoop.Add(1)-1) % len(r.loops)
	return i, r.loops[i].mux
}
