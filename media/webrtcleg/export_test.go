package webrtcleg

// Tapped reports whether l's received stream is delivered by its SRTP tap
// (the fast path) rather than the fallback read loop.
func Tapped(l *Leg) bool {
	l.tapMu.Lock()
	defer l.tapMu.Unlock()
	return l.tapped
}
