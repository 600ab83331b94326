package console

import (
	"context"

	"switchboard/signaling/ws"
	"switchboard/store"
)

// Workflows (PROTOCOL §10): workflow.put/get/list/delete. The live side is
// the Applier when it also implements WorkflowApplier.

// WorkflowApplier takes workflow changes to the router. The orchestrator
// implements it beside Applier.
type WorkflowApplier interface {
	ApplyWorkflow(w store.Workflow)
	RemoveWorkflow(id string)
}

func (s *session) registerWorkflows() {
	s.Register("workflow.put", ws.Typed(s.workflowPut))
	s.Register("workflow.get", ws.Typed(s.workflowGet))
	s.Register("workflow.delete", ws.Typed(s.workflowDelete))
	s.Register("workflow.list", ws.Typed(s.workflowList))
}

func (s *session) workflowStore() (store.WorkflowStore, error) {
	ws2, ok := s.c.cfg.Store.(store.WorkflowStore)
	if !ok {
		return nil, &ws.Error{Code: ws.CodeInternalError, Reason: "this store keeps no workflows"}
	}
	return ws2, nil
}

func applyWorkflow(f func(WorkflowApplier)) func(Applier) {
	return func(a Applier) {
		if wa, ok := a.(WorkflowApplier); ok {
			f(wa)
		}
	}
}

func (s *session) workflowPut(ctx context.Context, p store.Workflow) (store.Workflow, error) {
	if p.ID == "" {
		return store.Workflow{}, ws.InvalidParams("id: required")
	}
	st, err := s.workflowStore()
	if err != nil {
		return store.Workflow{}, err
	}
	w, err := st.PutWorkflow(ctx, p)
	if err != nil {
		return store.Workflow{}, s.fail("workflow.put", err)
	}
	s.changed("workflow", w.ID, "put", applyWorkflow(func(a WorkflowApplier) { a.ApplyWorkflow(w) }))
	return w, nil
}

func (s *session) workflowGet(ctx context.Context, p idParams) (store.Workflow, error) {
	if err := p.check(); err != nil {
		return store.Workflow{}, err
	}
	st, err := s.workflowStore()
	if err != nil {
		return store.Workflow{}, err
	}
	w, err := st.GetWorkflow(ctx, p.ID)
	if err != nil {
		return store.Workflow{}, s.fail("workflow.get", err)
	}
	return w, nil
}

func (s *session) workflowDelete(ctx context.Context, p idParams) (empty, error) {
	if err := p.check(); err != nil {
		return empty{}, err
	}
	st, err := s.workflowStore()
	if err != nil {
		return empty{}, err
	}
	if err := st.DeleteWorkflow(ctx, p.ID); err != nil {
		return empty{}, s.fail("workflow.delete", err)
	}
	s.changed("workflow", p.ID, "delete", applyWorkflow(func(a WorkflowApplier) { a.RemoveWorkflow(p.ID) }))
	return empty{}, nil
}

func (s *session) workflowList(ctx context.Context, _ struct{}) ([]store.Workflow, error) {
	st, err := s.workflowStore()
	if err != nil {
		return nil, err
	}
	out, err := st.ListWorkflows(ctx)
	if err != nil {
		return nil, s.fail("workflow.list", err)
	}
	return out, nil
}
