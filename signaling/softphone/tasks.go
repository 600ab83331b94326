package softphone

import (
	"context"

	"switchboard/signaling/ws"
	"switchboard/store"
)

// Tasks of any channel on the agent socket (PROTOCOL §10): task offers
// arrive as reservation.created with kind "task" and are accepted or
// rejected like calls' (reservation.accept answers the Task); task.complete
// ends an assigned task, task.list lists the agent's tasks; the core sends
// task.updated.

type taskParams struct {
	Task string `json:"task"`
}

func (ss *session) registerTasks(m *ws.Mux) {
	core := ss.s.cfg.Core
	m.Register("task.complete", ws.Typed(func(ctx context.Context, p taskParams) (store.Task, error) {
		if p.Task == "" {
			return store.Task{}, ws.InvalidParams("task: required")
		}
		t, err := core.CompleteTask(ss.agent(), p.Task)
		return t, toWS(err)
	}))
	m.Register("task.list", ws.Typed(func(ctx context.Context, _ struct{}) ([]store.Task, error) {
		ts, err := core.AgentTasks(ss.agent())
		return ts, toWS(err)
	}))
}
