package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"switchboard/agent"
	"switchboard/events"
	"switchboard/media"
	"switchboard/media/rtpleg"
	"switchboard/signaling/console"
	"switchboard/signaling/trunk"
	"switchboard/store"
	"switchboard/store/sqlite"
)

// TrunkFlags are the -trunk* flags beyond -trunk, -trunk-user,
// -trunk-password and -trunk-allow: with -trunk they define the trunk with
// id "default" (PROTOCOL §9).
type TrunkFlags struct {
	Register bool   // -trunk-register
	CallerID string // -trunk-caller-id
}

// trunkFlags declares the extra -trunk* flags; the returned func copies
// them into c after parsing.
func trunkFlags(fs *flag.FlagSet) func(c *Config, bad func(flag, val, why string)) {
	register := fs.Bool("trunk-register", false, "REGISTER with the -trunk host using -trunk-user/-trunk-password (registration-based carrier accounts)")
	callerID := fs.String("trunk-caller-id", "", "From user of outbound calls through -trunk when the agent has no caller_id")
	return func(c *Config, bad func(flag, val, why string)) {
		c.TrunkFlags = TrunkFlags{Register: *register, CallerID: *callerID}
		if e := store.CheckCallerID(*callerID); e != nil {
			bad("trunk-caller-id", *callerID, e.Reason)
		}
		if *register && c.TrunkURI == "" {
			bad("trunk-register", "true", "needs -trunk")
		}
	}
}

// defaultTrunk is the trunk the -trunk* flags define, if -trunk is set.
func defaultTrunk(cfg Config) (store.Trunk, bool, error) {
	if cfg.TrunkURI == "" {
		return store.Trunk{}, false, nil
	}
	c, err := trunk.CarrierFromURI(store.DefaultTrunkID, cfg.TrunkURI)
	if err != nil {
		return store.Trunk{}, false, err
	}
	t := store.Trunk{
		ID: store.DefaultTrunkID, Name: "-trunk", Host: c.Host, Port: c.Port, Transport: c.Transport,
		Username: cfg.TrunkUser, Password: cfg.TrunkPassword, Register: cfg.TrunkFlags.Register,
		CallerID: cfg.TrunkFlags.CallerID,
	}
	if p := cfg.Deploy.TrunkSRTP; p != rtpleg.SRTPUnknown {
		t.SRTP = p.String() // -trunk-srtp
	}
	return t, true, nil
}

// carrierOf converts a stored trunk to the SIP side's Carrier.
func carrierOf(t store.Trunk) trunk.Carrier {
	c := trunk.Carrier{
		ID: t.ID, Host: t.Host, Port: t.Port, Transport: t.Transport, Username: t.Username, Password: t.Password,
		Register: t.Register, RegisterExpires: time.Duration(t.RegisterExpires) * time.Second, CallerID: t.CallerID,
		Prefixes: t.Prefixes, Priority: t.Priority, SRTP: t.SRTP, MaxCalls: t.MaxCalls,
	}
	for _, s := range t.Allow {
		if p, err := store.ParsePrefix(s); err == nil {
			c.Allow = append(c.Allow, p)
		}
	}
	return c
}

// loadTrunks writes the default trunk (the flags win over what the
// console stored under that id) and hands every stored trunk to the SIP
// side.
func loadTrunks(ctx context.Context, cfg Config, st *sqlite.SQLite, tr *trunk.Trunk) error {
	if def, ok, err := defaultTrunk(cfg); err != nil {
		return err
	} else if ok {
		if _, err := st.PutTrunk(ctx, def); err != nil {
			return fmt.Errorf("default trunk from -trunk flags: %w", err)
		}
	}
	list, err := st.ListTrunks(ctx)
	if err != nil {
		return fmt.Errorf("load trunks: %w", err)
	}
	for _, t := range list {
		tr.SetCarrier(carrierOf(t))
	}
	return nil
}

// trunkConsole adapts the SIP trunk to console.Trunks.
type trunkConsole struct{ t *trunk.Trunk }

func (a trunkConsole) ApplyTrunk(t store.Trunk) { a.t.SetCarrier(carrierOf(t)) }
func (a trunkConsole) RemoveTrunk(id string)    { a.t.RemoveCarrier(id) }

func (a trunkConsole) TrunkStatus(id string) console.TrunkStatus {
	s := a.t.CarrierStatus(id)
	return console.TrunkStatus{
		Registration: s.Registration, RegisteredUntil: events.FormatTime(s.RegisteredUntil), LastError: s.LastError,
		ActiveCalls: s.ActiveCalls, CallsIn: s.CallsIn, CallsOut: s.CallsOut,
	}
}

var _ console.Trunks = trunkConsole{}

// registrationEvents publishes trunk.registration events on hub.
func registrationEvents(hub *events.Hub) func(id, state, errText string) {
	return func(id, state, errText string) {
		hub.Publish(events.Event{Type: "trunk.registration", Trunk: id, State: state, Error: errText})
	}
}

// trunkDialer adapts the trunk's outbound calls to agent.Dialer; the
// agent's caller ID (looked up by its extension, the from of Dial) goes
// first, then the trunk's.
type trunkDialer struct {
	t        *trunk.Trunk
	pool     *rtpleg.Pool
	callerID func(ext string) string
}

func (d trunkDialer) Dial(ctx context.Context, to, from string, onProgress func(code int, leg agent.TrunkLeg)) (agent.TrunkCall, error) {
	leg, err := d.pool.Open()
	if err != nil {
		return nil, err
	}
	leg.Start(media.Discard)
	var progress func(code int)
	if onProgress != nil {
		progress = func(code int) { onProgress(code, leg) }
	}
	req := trunk.DialRequest{To: to, User: from}
	if d.callerID != nil {
		req.CallerID = d.callerID(from)
	}
	c, err := d.t.DialRequest(ctx, req, leg, progress)
	if err != nil {
		_ = leg.Close() // an RTP leg never used: the dial error is the one returned
		return nil, err
	}
	return trunkCall{c}, nil
}
