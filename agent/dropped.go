package agent

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
