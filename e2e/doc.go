// Package e2e holds the end-to-end tests of issue 7: the real switchboard
// binary runs as a child process on loopback, agents are real pion
// PeerConnections on the agent websocket, callers are sipgo user agents
// with RTP phones, and every audio claim is checked with tone detection
// (Goertzel) on what each party actually receives.
//
// The package has no non-test code besides this comment.
package e2e
