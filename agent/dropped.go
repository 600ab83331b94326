package agent

// Errors the core cannot act on are logged by one of these two, never
// dropped with `_ =`. The rest of the package's `_ =` and `, _ :=` are
// impossible by construction, and say so where they stand.

// warnIf logs an error from the router or an agent's media.Switch that the
// core has nothing more to do about: the core's own state has already moved
// on (a call ended, an agent or queue removed), so a refusal here means the
// core's books and the router's or switch's disagree. That is a bug worth a
// warning, never a reason to fail the caller's request.
func (c *Core) warnIf(err error, msg string, args ...any) {
	if err != nil {
		c.log.Warn(msg, append(args, "err", err)...)
	}
}

// infoIf logs an error of a last word toward a party that may already be
// gone: a SIP final response or BYE racing the caller's own CANCEL or BYE,
// a notification to a socket that is closing, a leg closed at the end of
// its life. The core has finished with the party either way, so this is a
// line for the operator, not a warning.
func (c *Core) infoIf(err error, msg string, args ...any) {
	if err != nil {
		c.log.Info(msg, append(args, "err", err)...)
	}
}
