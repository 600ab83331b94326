package agent

import (
	"context"

	"switchboard/store"
)

// The core asks persistence for little (issue 20): the floor's
// configuration once at start, an agent's password at login, and a record
// per finished call. These are those interfaces; store/sqlite (and any
// other store) implements them, and the core never sees the rest of
// store.Store (admin writes, tokens, the event journal).

// FloorConfig is the configuration the core loads in New: agents, queues
// and routes. A Store that also implements store.ActivityStore or
// store.WorkflowStore has its custom activities and workflows loaded too.
type FloorConfig interface {
	ListAgents(ctx context.Context) ([]store.Agent, error)
	ListQueues(ctx context.Context) ([]store.Queue, error)
	ListRoutes(ctx context.Context) ([]store.Route, error)
}

// Passwords checks an agent's password at agent.login.
type Passwords interface {
	CheckPassword(ctx context.Context, agentID, password string) (bool, error)
}

// Records keeps a record per finished call (PROTOCOL §6 records).
type Records interface {
	AppendRecord(ctx context.Context, r store.CallRecord) error
}

// Store is everything the core needs from persistence.
type Store interface {
	FloorConfig
	Passwords
	Records
}
