package console

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"switchboard/signaling/ws"
	"switchboard/store"
)

// Tasks of any channel (PROTOCOL §10): task.create/get/list/cancel on the
// console, and the same over HTTP (TaskAPI). The live side is the Applier
// when it also implements TaskManager.

// TaskManager creates and ends tasks. Its errors are classified with the
// store's: *store.ValidationError (bad params, unknown queue), ErrNotFound,
// ErrInUse (a finished task, too many tasks).
type TaskManager interface {
	CreateTask(p store.TaskParams) (store.Task, error)
	Task(id string) (store.Task, error)
	Tasks(state string) []store.Task
	CancelTask(id string) (store.Task, error)
}

var taskStates = []string{store.TaskPending, store.TaskReserved, store.TaskAssigned, store.TaskWrapping, store.TaskCompleted, store.TaskCanceled}

// NodeTasks is a Floor that reaches the tasks of every node (PROTOCOL
// §13): TaskOn does method ("task.get" or "task.cancel") on task id of
// node (this node's own id too; on one gateway any node is unknown), and
// answers as that node's console would (TaskError's errors; -32002 for a
// node that is not live, -32603 for one that cannot be reached or does not
// answer in time). A task without a node is this node's (TaskManager).
type NodeTasks interface {
	TaskOn(ctx context.Context, node, method, id string) (store.Task, error)
}

type taskIDParams struct {
	Task string `json:"task"`
	ID   string `json:"id"`   // task.get also takes {id}
	Node string `json:"node"` // the task's node (state's tasks carry it with -cluster)
}

func (p taskIDParams) id() (string, error) {
	id := p.Task
	if id == "" {
		id = p.ID
	}
	if id == "" {
		return "", ws.InvalidParams("task: required")
	}
	return id, nil
}

type taskListParams struct {
	State string `json:"state"`
}

func (s *session) registerTasks() {
	s.Register("task.create", ws.Typed(func(ctx context.Context, p store.TaskParams) (store.Task, error) {
		tm, err := s.taskManager()
		if err != nil {
			return store.Task{}, err
		}
		t, err := createTask(ctx, s.c.cfg.Store, tm, p)
		return t, TaskError(err)
	}))
	s.Register("task.get", s.taskByID("task.get", TaskManager.Task))
	s.Register("task.list", ws.Typed(func(ctx context.Context, p taskListParams) ([]store.Task, error) {
		tm, err := s.taskManager()
		if err != nil {
			return nil, err
		}
		if p.State != "" && !contains(taskStates, p.State) {
			return nil, ws.InvalidParams("state: must be one of " + strings.Join(taskStates, ", "))
		}
		return tm.Tasks(p.State), nil
	}))
	s.Register("task.cancel", s.taskByID("task.cancel", TaskManager.CancelTask))
}

// taskByID is method on one task named by its params' id: op (a
// TaskManager method expression) with the task manager and the id, or,
// when the params name a node, the Floor's TaskOn.
func (s *session) taskByID(method string, op func(tm TaskManager, id string) (store.Task, error)) ws.MethodFunc {
	return ws.Typed(func(ctx context.Context, p taskIDParams) (store.Task, error) {
		id, err := p.id()
		if err != nil {
			return store.Task{}, err
		}
		if p.Node != "" {
			nt, ok := s.c.cfg.Floor.(NodeTasks)
			if !ok {
				return store.Task{}, ws.NotFound("task " + id + ": no node " + p.Node + " (a single gateway)")
			}
			t, err := nt.TaskOn(ctx, p.Node, method, id)
			if err != nil {
				return store.Task{}, s.fail(method, err)
			}
			return t, nil
		}
		tm, err := s.taskManager()
		if err != nil {
			return store.Task{}, err
		}
		t, err := op(tm, id)
		return t, TaskError(err)
	})
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func (s *session) taskManager() (TaskManager, error) {
	tm, ok := s.c.cfg.Applier.(TaskManager)
	if !ok {
		return nil, &ws.Error{Code: ws.CodeInternalError, Reason: "tasks are not routed here"}
	}
	return tm, nil
}

// createTask checks a workflow's existence in the store, then creates.
func createTask(ctx context.Context, st store.Store, tm TaskManager, p store.TaskParams) (store.Task, error) {
	if p.Workflow != "" {
		if wst, ok := st.(store.WorkflowStore); ok {
			if _, err := wst.GetWorkflow(ctx, p.Workflow); errors.Is(err, store.ErrNotFound) {
				return store.Task{}, store.Invalid("workflow", "unknown workflow %q", p.Workflow)
			} else if err != nil {
				return store.Task{}, err
			}
		}
	}
	return tm.CreateTask(p)
}

// TaskError is a TaskManager error as the console answers it.
func TaskError(err error) error {
	var ve *store.ValidationError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ve):
		return ws.InvalidParams(ve.Error())
	case errors.Is(err, store.ErrNotFound):
		return ws.NotFound(err.Error())
	case errors.Is(err, store.ErrInUse):
		return ws.Conflict(err.Error())
	}
	return &ws.Error{Code: ws.CodeInternalError, Reason: err.Error()}
}

// TaskAPI serves POST /api/tasks (task.create's params as the JSON body),
// GET /api/tasks (task.list, ?state=), GET /api/tasks/<id> and DELETE
// /api/tasks/<id> (task.cancel). Guard it with the admin token (the
// gateway's adminOnly). Answers are the Task (201 on create) or
// {"error": {code, message, data: {reason}}} with the HTTP status of the
// JSON-RPC code (400, 404, 409, 500).
func TaskAPI(st store.Store, tm TaskManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/api/tasks"), "/")
		switch {
		case id == "" && r.Method == http.MethodPost:
			var p store.TaskParams
			dec := json.NewDecoder(io.LimitReader(r.Body, 16<<10))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&p); err != nil {
				writeTaskError(w, ws.InvalidParams("body: "+err.Error()))
				return
			}
			t, err := createTask(r.Context(), st, tm, p)
			if err != nil {
				writeTaskError(w, TaskError(err))
				return
			}
			writeJSON(w, http.StatusCreated, t)
		case id == "" && r.Method == http.MethodGet:
			state := r.URL.Query().Get("state")
			if state != "" && !contains(taskStates, state) {
				writeTaskError(w, ws.InvalidParams("state: must be one of "+strings.Join(taskStates, ", ")))
				return
			}
			writeJSON(w, http.StatusOK, tm.Tasks(state))
		case id != "" && !strings.Contains(id, "/") && r.Method == http.MethodGet:
			t, err := tm.Task(id)
			if err != nil {
				writeTaskError(w, TaskError(err))
				return
			}
			writeJSON(w, http.StatusOK, t)
		case id != "" && !strings.Contains(id, "/") && r.Method == http.MethodDelete:
			t, err := tm.CancelTask(id)
			if err != nil {
				writeTaskError(w, TaskError(err))
				return
			}
			writeJSON(w, http.StatusOK, t)
		default:
			w.Header().Set("Allow", "GET, POST, DELETE")
			writeTaskError(w, &ws.Error{Code: ws.CodeMethodNotFound, Reason: r.Method + " " + r.URL.Path + ": not a task API request"})
		}
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away: nothing to do
}

func writeTaskError(w http.ResponseWriter, err error) {
	var we *ws.Error
	if !errors.As(err, &we) {
		we = &ws.Error{Code: ws.CodeInternalError, Reason: err.Error()}
	}
	status := http.StatusInternalServerError
	switch we.Code {
	case ws.CodeInvalidParams:
		status = http.StatusBadRequest
	case ws.CodeNotFound:
		status = http.StatusNotFound
	case ws.CodeConflict:
		status = http.StatusConflict
	case ws.CodeMethodNotFound:
		status = http.StatusMethodNotAllowed
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code": we.Code, "message": we.Error(), "data": map[string]string{"reason": we.Reason},
	}})
}
