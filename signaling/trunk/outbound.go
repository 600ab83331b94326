package trunk

// hangupOutbound ends an outbound call: BYE once answered; before that the
// Dial context is canceled, which makes sipgo send CANCEL.
func (c *Call) hangupOutbound(st State) error {
	if st == StateAnswered {
		return c.bye()
	}
	c.cancel()
	return nil
}
