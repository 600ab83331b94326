package trunk

import "context"

// Echo answers c and loops the caller's audio back to it (the trunk test
// number). It returns when the call ends.
func Echo(ctx context.Context, c *Call) {
	leg := c.Leg()
	leg.Start(leg)
	if err := c.Answer(ctx); err != nil {
		c.log.Info("echo answer", "err", err)
		return
	}
	select {
	case <-ctx.Done():
	case <-c.Done():
	}
}

// EchoHandler is a Handler that runs Echo for every call.
var EchoHandler Handler = HandlerFunc(Echo)
