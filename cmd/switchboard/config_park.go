package main

import (
	"flag"
	"time"

	"switchboard/agent"
)

// Park are the §11 park flags.
type Park struct {
	Slots   []string      // -park-slots: the slots' numbers
	Timeout time.Duration // -park-timeout: a parked call returns to its parker after this long
}

// parkFlags declares the Park flags on fs; the returned function checks
// them (after fs.Parse) into c, reporting errors through bad.
func parkFlags(fs *flag.FlagSet) func(c *Config, bad func(flag, val, why string)) {
	slots := fs.String("park-slots", agent.DefaultParkSlots, "park slot numbers: a range low-high and/or a comma-separated list (dialling a slot picks its call up)")
	timeout := fs.Duration("park-timeout", 120*time.Second, "a parked call is offered back to the agent who parked it after this long (kind park_return)")
	return func(c *Config, bad func(flag, val, why string)) {
		s, err := agent.ParseParkSlots(*slots)
		if err != nil {
			bad("park-slots", *slots, err.Error())
		}
		if *timeout <= 0 {
			bad("park-timeout", timeout.String(), "must be positive")
		}
		c.Park = Park{Slots: s, Timeout: *timeout}
	}
}
