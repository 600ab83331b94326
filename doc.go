// Package switchboard is the root of the Switchboard module: a SIP trunk to
// WebRTC agent gateway with a built-in call router. The program is
// cmd/switchboard; this package holds only repository-wide tests.
package switchboard
