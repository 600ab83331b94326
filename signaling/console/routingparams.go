package console

import (
	"switchboard/signaling/ws"
	"switchboard/store"
)

// PROTOCOL §10 fields of agent.put and queue.put. Omitted fields keep
// their current value on update and take the default on create; the store
// validates them (-32602 with the reason, an expression that does not
// compile included).

type agentRoutingParams struct {
	Attributes     *map[string]any `json:"attributes"`
	Channels       *map[string]int `json:"channels"`
	MaxNonBlocking *int            `json:"max_nonblocking"`
	Role           *string         `json:"role"`
	Voicemail      *bool           `json:"voicemail"`
	Record         *bool           `json:"record"`
}

func (p agentRoutingParams) apply(cur *store.AgentRouting) error {
	if p.Attributes != nil {
		cur.Attributes = *p.Attributes
	}
	if p.Channels != nil {
		cur.Channels = *p.Channels
	}
	if p.MaxNonBlocking != nil {
		if *p.MaxNonBlocking == 0 { // 0 would mean "default": refuse it explicitly
			return ws.InvalidParams("max_nonblocking: 0 out of range 1..8")
		}
		cur.MaxNonBlocking = *p.MaxNonBlocking
	}
	if p.Role != nil {
		cur.Role = *p.Role
	}
	if p.Voicemail != nil {
		v := *p.Voicemail
		cur.Voicemail = &v
	}
	if p.Record != nil {
		cur.Record = *p.Record
	}
	return nil
}

type queueRoutingParams struct {
	TargetWorkers     *string `json:"target_workers"`
	Order             *string `json:"order"`
	SimultaneousTasks *bool   `json:"simultaneous_tasks"`
	Record            *bool   `json:"record"`
	Voicemail         *bool   `json:"voicemail"`
	SLSeconds         *int    `json:"sl_seconds"`
}

func (p queueRoutingParams) apply(cur *store.QueueRouting) error {
	if p.TargetWorkers != nil {
		cur.TargetWorkers = *p.TargetWorkers
	}
	if p.Order != nil {
		cur.Order = *p.Order
	}
	if p.SimultaneousTasks != nil {
		cur.SimultaneousTasks = *p.SimultaneousTasks
	}
	if p.Record != nil {
		cur.Record = *p.Record
	}
	if p.Voicemail != nil {
		cur.Voicemail = *p.Voicemail
	}
	if p.SLSeconds != nil {
		if *p.SLSeconds == 0 {
			return ws.InvalidParams("sl_seconds: 0 out of range 1..3600")
		}
		cur.SLSeconds = *p.SLSeconds
	}
	return nil
}

// queueWithMembers is queue.get's result: the queue and its members (the
// agents that list it plus those its target_workers selects).
type queueWithMembers struct {
	store.Queue
	Members []string `json:"members"`
}
