package agent

// Core.mu is only ever taken through these helpers or as
// "c.mu.Lock(); defer c.mu.Unlock()": the deferred unlock runs even when
// the code under the lock panics, so a panic in a handler (which the
// websocket layer recovers from) never leaves the core locked (PROTOCOL
// §14 "Panics and locks"). No code in this package recovers a panic.

// locked runs fn with c.mu held.
func (c *Core) locked(fn func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fn()
}

// locked2 runs fn with c.mu held and returns its results.
func locked2[A, B any](c *Core, fn func() (A, B)) (A, B) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fn()
}
