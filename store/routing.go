package store

import (
	"encoding/json"
	"regexp"

	"switchboard/router/attrexpr"
)

// Routing v2 fields (PROTOCOL.md section 10). They are embedded in Agent
// and Queue, so their JSON names sit beside the v1 fields.

// Limits and defaults of section 10.
const (
	MaxAttributesBytes       = 4096
	DefaultMaxNonBlocking    = 1
	MaxNonBlockingLimit      = 8
	MaxChannelCapacity       = 64
	DefaultSLSeconds         = 20
	RoleAgent                = "agent"
	RoleSupervisor           = "supervisor"
	OrderFIFO                = "fifo"
	OrderLIFO                = "lifo"
	MaxTargetWorkersBytes    = attrexpr.MaxLen
	voiceChannel             = "voice"
	defaultVoicemailForAgent = true
)

var channelRE = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

// ValidChannel reports whether s is a channel name ([a-z0-9_-]{1,32}).
func ValidChannel(s string) bool { return channelRE.MatchString(s) }

// AgentRouting holds an agent's section 10 fields.
type AgentRouting struct {
	// Attributes is a JSON object of at most 4 KiB; never nil on read.
	Attributes map[string]any `json:"attributes"`
	// Channels caps each non-voice channel (voice is Capacity); never nil
	// on read.
	Channels map[string]int `json:"channels"`
	// MaxNonBlocking: 1..8; 0 on write means 1.
	MaxNonBlocking int `json:"max_nonblocking"`
	// Role: "agent" (default) or "supervisor".
	Role string `json:"role"`
	// Voicemail: nil on write means true; never nil on read.
	Voicemail *bool `json:"voicemail"`
	Record    bool  `json:"record"`
}

// QueueRouting holds a queue's section 10 fields.
type QueueRouting struct {
	// TargetWorkers is an expression over agents' attributes; its matches
	// are members besides the agents that list the queue.
	TargetWorkers     string `json:"target_workers"`
	Order             string `json:"order"` // fifo (default) or lifo
	SimultaneousTasks bool   `json:"simultaneous_tasks"`
	Record            bool   `json:"record"`
	Voicemail         bool   `json:"voicemail"`
	SLSeconds         int    `json:"sl_seconds"` // 0 on write means 20
}

// NormalizeAgentRouting applies defaults and checks the fields.
func NormalizeAgentRouting(a *AgentRouting) *ValidationError {
	if a.Attributes == nil {
		a.Attributes = map[string]any{}
	}
	if b, err := json.Marshal(a.Attributes); err != nil {
		return Invalid("attributes", "not a JSON object: %v", err)
	} else if len(b) > MaxAttributesBytes {
		return Invalid("attributes", "%d bytes, at most %d", len(b), MaxAttributesBytes)
	}
	if a.Channels == nil {
		a.Channels = map[string]int{}
	}
	for ch, c := range a.Channels {
		if !ValidChannel(ch) || ch == voiceChannel {
			return Invalid("channels", "%q: a channel is [a-z0-9_-]{1,32}, and voice capacity is capacity", truncate(ch))
		}
		if c < 0 || c > MaxChannelCapacity {
			return Invalid("channels", "%s: %d out of range 0..%d", ch, c, MaxChannelCapacity)
		}
	}
	if a.MaxNonBlocking == 0 {
		a.MaxNonBlocking = DefaultMaxNonBlocking
	}
	if a.MaxNonBlocking < 1 || a.MaxNonBlocking > MaxNonBlockingLimit {
		return Invalid("max_nonblocking", "%d out of range 1..%d", a.MaxNonBlocking, MaxNonBlockingLimit)
	}
	if a.Role == "" {
		a.Role = RoleAgent
	}
	if a.Role != RoleAgent && a.Role != RoleSupervisor {
		return Invalid("role", "%q is not agent or supervisor", truncate(a.Role))
	}
	if a.Voicemail == nil {
		v := defaultVoicemailForAgent
		a.Voicemail = &v
	}
	return nil
}

// NormalizeQueueRouting applies defaults and checks the fields; an
// expression that does not compile is refused with the compiler's reason.
func NormalizeQueueRouting(q *QueueRouting) *ValidationError {
	if q.Order == "" {
		q.Order = OrderFIFO
	}
	if q.Order != OrderFIFO && q.Order != OrderLIFO {
		return Invalid("order", "%q is not fifo or lifo", truncate(q.Order))
	}
	if q.SLSeconds == 0 {
		q.SLSeconds = DefaultSLSeconds
	}
	if q.SLSeconds < 1 || q.SLSeconds > 3600 {
		return Invalid("sl_seconds", "%d out of range 1..3600", q.SLSeconds)
	}
	if q.TargetWorkers != "" {
		if _, err := attrexpr.Compile(q.TargetWorkers); err != nil {
			return Invalid("target_workers", "%v", err)
		}
	}
	return nil
}

// Members returns the ids of q's members among agents: those that list q,
// plus those whose attributes satisfy q's target_workers (PROTOCOL §10).
// An expression that does not compile selects nobody.
func Members(q Queue, agents []Agent) []string {
	var e *attrexpr.Expr
	if q.TargetWorkers != "" {
		e, _ = attrexpr.Compile(q.TargetWorkers) // validated when written; one that fails is nil: selects nobody, as documented
	}
	out := []string{}
	for _, a := range agents {
		listed := false
		for _, id := range a.Queues {
			if id == q.ID {
				listed = true
				break
			}
		}
		if listed || (e != nil && e.Match(a.Attributes)) {
			out = append(out, a.ID)
		}
	}
	return out
}
