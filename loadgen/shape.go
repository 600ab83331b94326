package loadgen

// Load shapes: how the parties' 20 ms frames are timed (pacer.go).
const (
	// ShapePaced (the default): every party's frame is written back to
	// back at the top of each 20 ms (on each media loop of the
	// generator), so the target receives all its packets in one burst per
	// 20 ms.
	ShapePaced = "paced"
	// ShapeIndependent: every party sends in its own 1 ms slot of the
	// 20 ms period, picked at random, each from its own address, as real
	// carriers and browsers do: the target's packets arrive spread over
	// the period.
	ShapeIndependent = "independent"
)
