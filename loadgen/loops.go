package loadgen

import (
	"errors"
	"fmt"
	"runtime"

	"switchboard/media/udploop"
)

// maxLoops bounds Config.Loops.
const maxLoops = 8

// newLoops starts n media loops (udploop): every caller's RTP socket and
// every lean browser leg's socket is read on one of them, and the pacer
// sends every frame on their clocks. n ≤ 0 means GOMAXPROCS (at most 4).
func newLoops(n int) ([]*udploop.Loop, error) {
	if n <= 0 {
		n = min(runtime.GOMAXPROCS(0), 4)
	}
	n = min(n, maxLoops)
	var loops []*udploop.Loop
	for range n {
		l, err := udploop.New()
		if err != nil {
			closeLoops(loops)
			if errors.Is(err, errors.ErrUnsupported) {
				return nil, fmt.Errorf("loadgen: the generator's media loops need Linux: %w", err)
			}
			return nil, fmt.Errorf("loadgen: %w", err)
		}
		loops = append(loops, l)
	}
	return loops, nil
}

// closeLoops stops the loops (after every socket on them is closed).
func closeLoops(loops []*udploop.Loop) {
	for _, l := range loops {
		_ = l.Close() // errors closing the epoll and eventfd descriptors change nothing
	}
}

// pickLoop returns the next loop in turn and its index (source.loop).
func (r *runner) pickLoop() (int, *udploop.Loop) {
	i := int(r.nextLoop.Add(1)-1) % len(r.loops)
	return i, r.loops[i]
}
