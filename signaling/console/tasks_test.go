package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/signaling/console"
	"switchboard/signaling/ws"
	"switchboard/store"
)

// fakeTasks is an Applier that also manages tasks the way the core does
// for the console: the real parameter checks (store.CheckTaskParams), an
// unknown queue refused, a finished task refused as a conflict.
type fakeTasks struct {
	fakeApplier
	mu     sync.Mutex // guards following
	queues map[string]bool
	tasks  []store.Task
}

func (f *fakeTasks) CreateTask(p store.TaskParams) (store.Task, error) {
	if e := store.CheckTaskParams(&p); e != nil {
		return store.Task{}, e
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if p.Queue != "" && !f.queues[p.Queue] {
		return store.Task{}, store.Invalid("queue", "unknown queue %q", p.Queue)
	}
	t := store.Task{ID: fmt.Sprintf("t%d", len(f.tasks)+1), Channel: p.Channel, State: store.TaskPending, Attributes: p.Attributes,
		Queue: p.Queue, Workflow: p.Workflow, BlockAgent: p.BlockAgent == nil || *p.BlockAgent, Priority: p.Priority,
		CreatedAt: time.Date(2026, 1, 1, 0, 0, len(f.tasks), 0, time.UTC)}
	f.tasks = append(f.tasks, t)
	return t, nil
}

func (f *fakeTasks) Task(id string) (store.Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.tasks {
		if t.ID == id {
			return t, nil
		}
	}
	return store.Task{}, fmt.Errorf("task %s: %w", id, store.ErrNotFound)
}

func (f *fakeTasks) Tasks(state string) []store.Task {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []store.Task{}
	for _, t := range f.tasks {
		if state == "" || t.State == state {
			out = append(out, t)
		}
	}
	return out
}

func (f *fakeTasks) CancelTask(id string) (store.Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, t := range f.tasks {
		if t.ID != id {
			continue
		}
		if t.State == store.TaskCanceled || t.State == store.TaskCompleted {
			return store.Task{}, fmt.Errorf("task %s is %s: %w", id, t.State, store.ErrInUse)
		}
		f.tasks[i].State, f.tasks[i].Reason = store.TaskCanceled, "canceled"
		return f.tasks[i], nil
	}
	return store.Task{}, fmt.Errorf("task %s: %w", id, store.ErrNotFound)
}

func newTaskEnv(t *testing.T) (*env, *fakeTasks) {
	ft := &fakeTasks{queues: map[string]bool{"chat": true}}
	e := newEnv(t, func(cfg *console.Config) { cfg.Applier = ft })
	if _, err := e.store.PutQueue(t.Context(), store.Queue{ID: "chat"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.PutWorkflow(t.Context(), store.Workflow{ID: "wf", Filters: []store.WorkflowFilter{{Name: "all",
		Targets: []store.WorkflowTarget{{Queue: "chat"}}}}}); err != nil {
		t.Fatal(err)
	}
	return e, ft
}

// badTaskParams are task.create params every engine refuses, with the
// field the reason names.
var badTaskParams = []struct {
	name   string
	params map[string]any
	reason string
}{
	{"no channel", map[string]any{"queue": "chat"}, "channel"},
	{"voice", map[string]any{"channel": "voice", "queue": "chat"}, "voice tasks are calls"},
	{"bad channel", map[string]any{"channel": "Chat!", "queue": "chat"}, "channel"},
	{"neither queue nor workflow", map[string]any{"channel": "chat"}, "exactly one of queue and workflow"},
	{"both", map[string]any{"channel": "chat", "queue": "chat", "workflow": "wf"}, "exactly one of queue and workflow"},
	{"unknown queue", map[string]any{"channel": "chat", "queue": "nope"}, "unknown queue"},
	{"unknown workflow", map[string]any{"channel": "chat", "workflow": "nope"}, "unknown workflow"},
	{"timeout", map[string]any{"channel": "chat", "queue": "chat", "timeout_seconds": -1}, "timeout_seconds"},
	{"priority", map[string]any{"channel": "chat", "queue": "chat", "priority": 5000}, "priority"},
	{"attributes too big", map[string]any{"channel": "chat", "queue": "chat", "attributes": map[string]string{"x": strings.Repeat("a", 5000)}}, "attributes"},
	{"wrong type", map[string]any{"channel": 3, "queue": "chat"}, "channel"},
}

// task.create/get/list/cancel on /ws/admin: a task is created (by queue
// and by workflow), read, listed by state and canceled; bad params get
// -32602 with a reason naming the field, an unknown task -32002, a second
// cancel -32003.
func TestTaskMethods(t *testing.T) {
	e, _ := newTaskEnv(t)
	c := e.admin()
	var t1, t2 store.Task
	c.MustCall("task.create", map[string]any{"channel": "chat", "queue": "chat", "attributes": map[string]any{"customer": "Ann"}, "block_agent": false}, &t1)
	if t1.ID == "" || t1.Channel != "chat" || t1.State != store.TaskPending || t1.BlockAgent || t1.Attributes["customer"] != "Ann" {
		t.Fatalf("task.create = %+v", t1)
	}
	c.MustCall("task.create", map[string]any{"channel": "email", "workflow": "wf"}, &t2)
	if t2.Workflow != "wf" || !t2.BlockAgent {
		t.Errorf("task.create by workflow = %+v, want block_agent true by default", t2)
	}
	var got store.Task
	c.MustCall("task.get", map[string]string{"task": t1.ID}, &got)
	if got.ID != t1.ID || got.Attributes["customer"] != "Ann" {
		t.Errorf("task.get = %+v", got)
	}
	c.MustCall("task.get", map[string]string{"id": t2.ID}, &got)
	if got.ID != t2.ID {
		t.Errorf("task.get {id} = %+v", got)
	}
	var canceled store.Task
	c.MustCall("task.cancel", map[string]string{"task": t1.ID}, &canceled)
	if canceled.State != store.TaskCanceled {
		t.Errorf("task.cancel = %+v", canceled)
	}
	for state, want := range map[string]int{"": 2, "pending": 1, "canceled": 1, "assigned": 0} {
		var l []store.Task
		c.MustCall("task.list", map[string]string{"state": state}, &l)
		if len(l) != want {
			t.Errorf("task.list {state: %q} = %d tasks, want %d", state, len(l), want)
		}
	}
	for _, tt := range badTaskParams {
		t.Run(tt.name, func(t *testing.T) { wantErr(t, c, "task.create", tt.params, ws.CodeInvalidParams, tt.reason) })
	}
	wantErr(t, c, "task.list", map[string]string{"state": "sleeping"}, ws.CodeInvalidParams, "state")
	wantErr(t, c, "task.get", map[string]string{}, ws.CodeInvalidParams, "task: required")
	wantErr(t, c, "task.get", map[string]string{"task": "t99"}, ws.CodeNotFound, "t99")
	wantErr(t, c, "task.cancel", map[string]string{"task": "t99"}, ws.CodeNotFound, "t99")
	wantErr(t, c, "task.cancel", map[string]string{"task": t1.ID}, ws.CodeConflict, "canceled")
	var l []store.Task
	c.MustCall("task.list", nil, &l)
	if len(l) != 2 {
		t.Errorf("after refused calls task.list = %d tasks, want 2 (nothing created)", len(l))
	}

	// Without a task manager the methods answer an internal error, not a panic.
	e2 := newEnv(t, nil)
	wantErr(t, e2.admin(), "task.create", map[string]any{"channel": "chat", "queue": "chat"}, ws.CodeInternalError, "not routed here")
}

// The HTTP form (console.TaskAPI): POST 201 with the Task, GET one and the
// list (?state=), DELETE cancels; bad input 400 with error.data.reason,
// unknown 404, a second DELETE 409, another method 405.
func TestTaskAPI(t *testing.T) {
	e, ft := newTaskEnv(t)
	srv := httptest.NewServer(console.TaskAPI(e.store, ft))
	t.Cleanup(srv.Close)
	do := func(method, path, body string) (int, map[string]any, []any) {
		t.Helper()
		code, b, ct := httpDo(t, method, srv.URL+path, strings.NewReader(body))
		if ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q", method, path, ct)
		}
		var obj map[string]any
		var arr []any
		if json.Unmarshal(b, &obj) != nil && json.Unmarshal(b, &arr) != nil {
			t.Errorf("%s %s: body not JSON: %s", method, path, b)
		}
		return code, obj, arr
	}
	reason := func(obj map[string]any) string {
		er, _ := obj["error"].(map[string]any)
		data, _ := er["data"].(map[string]any)
		if er["code"] == nil {
			return ""
		}
		return fmt.Sprint(er["code"]) + " " + fmt.Sprint(data["reason"])
	}
	code, obj, _ := do("POST", "/api/tasks", `{"channel": "chat", "queue": "chat", "attributes": {"case": 42}}`)
	if code != http.StatusCreated || obj["state"] != "pending" || obj["channel"] != "chat" {
		t.Fatalf("POST = %d %v", code, obj)
	}
	id := obj["id"].(string)
	if code, obj, _ = do("GET", "/api/tasks/"+id, ""); code != 200 || obj["id"] != id {
		t.Errorf("GET one = %d %v", code, obj)
	}
	if code, _, arr := do("GET", "/api/tasks?state=pending", ""); code != 200 || len(arr) != 1 {
		t.Errorf("GET list pending = %d %v", code, arr)
	}
	if code, obj, _ = do("DELETE", "/api/tasks/"+id, ""); code != 200 || obj["state"] != "canceled" {
		t.Errorf("DELETE = %d %v", code, obj)
	}
	if code, _, arr := do("GET", "/api/tasks?state=pending", ""); code != 200 || len(arr) != 0 {
		t.Errorf("GET list pending after cancel = %d %v", code, arr)
	}
	for _, tt := range badTaskParams {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := json.Marshal(tt.params)
			code, obj, _ := do("POST", "/api/tasks", string(b))
			if r := reason(obj); code != http.StatusBadRequest || !strings.HasPrefix(r, "-32602 ") || !strings.Contains(r, tt.reason) {
				t.Errorf("POST %s = %d %q, want 400 -32602 with %q", b, code, r, tt.reason)
			}
		})
	}
	for _, tt := range []struct {
		method, path, body string
		code               int
		reason             string
	}{
		{"POST", "/api/tasks", `{"channel": "chat", "queue": "chat", "colour": "red"}`, 400, "unknown field"},
		{"POST", "/api/tasks", `{"channel": `, 400, "body"},
		{"POST", "/api/tasks", `{"channel": "chat", "queue": "chat", "attributes": {"x": "` + strings.Repeat("a", 20000) + `"}}`, 400, "body"},
		{"GET", "/api/tasks?state=sleeping", "", 400, "state"},
		{"GET", "/api/tasks/t99", "", 404, "t99"},
		{"DELETE", "/api/tasks/t99", "", 404, "t99"},
		{"DELETE", "/api/tasks/" + id, "", 409, "canceled"},
		{"PUT", "/api/tasks/" + id, "{}", 405, "not a task API request"},
		{"GET", "/api/tasks/" + id + "/x", "", 405, "not a task API request"},
	} {
		code, obj, _ := do(tt.method, tt.path, tt.body)
		if r := reason(obj); code != tt.code || !strings.Contains(r, tt.reason) {
			t.Errorf("%s %s = %d %q, want %d with %q", tt.method, tt.path, code, r, tt.code, tt.reason)
		}
	}
	if n := len(ft.Tasks("")); n != 1 {
		t.Errorf("%d tasks after the refused requests, want 1", n)
	}
}

// nodeTasksFloor is a Floor of several nodes (PROTOCOL §13): n2 holds task
// t1 (live until canceled), n3 does not answer.
type nodeTasksFloor struct {
	*fakeFloor
	mu       sync.Mutex // guards following
	canceled bool
	asked    []string // node/method/id
}

func (f *nodeTasksFloor) TaskOn(_ context.Context, node, method, id string) (store.Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, node+"/"+method+"/"+id)
	switch {
	case node == "n3":
		return store.Task{}, &ws.Error{Code: ws.CodeInternalError, Reason: "task " + id + " on node n3: did not answer in time"}
	case node != "n2" || id != "t1":
		return store.Task{}, ws.NotFound("task " + id + ": not found")
	case method == "task.cancel" && f.canceled:
		return store.Task{}, ws.Conflict("task t1 is canceled")
	case method == "task.cancel":
		f.canceled = true
	}
	state := store.TaskPending
	if f.canceled {
		state = store.TaskCanceled
	}
	return store.Task{ID: id, State: state, Node: node, CreatedAt: time.Now()}, nil
}

// task.get and task.cancel naming a node go to the floor's TaskOn, whose
// answer (task or *ws.Error) is the console's; without a node they are
// the serving node's (the Applier's). A floor of one gateway has no
// other node: -32002.
func TestTaskOnAnotherNode(t *testing.T) {
	nf := &nodeTasksFloor{fakeFloor: &fakeFloor{}}
	ft := &fakeTasks{queues: map[string]bool{"chat": true}}
	e := newEnv(t, func(cfg *console.Config) { cfg.Applier = ft; cfg.Floor = nf })
	c := e.admin()
	var got store.Task
	c.MustCall("task.get", map[string]string{"task": "t1", "node": "n2"}, &got)
	if got.State != store.TaskPending || got.Node != "n2" {
		t.Errorf("task.get of n2's t1 = %+v", got)
	}
	c.MustCall("task.cancel", map[string]string{"task": "t1", "node": "n2"}, &got)
	if got.State != store.TaskCanceled || got.Node != "n2" {
		t.Errorf("task.cancel of n2's t1 = %+v", got)
	}
	wantErr(t, c, "task.cancel", map[string]string{"task": "t1", "node": "n2"}, ws.CodeConflict, "canceled")
	wantErr(t, c, "task.cancel", map[string]string{"task": "t1", "node": "n3"}, ws.CodeInternalError, "n3")
	wantErr(t, c, "task.cancel", map[string]string{"task": "t9", "node": "n2"}, ws.CodeNotFound, "t9")
	wantErr(t, c, "task.cancel", map[string]string{"node": "n2"}, ws.CodeInvalidParams, "task")
	wantErr(t, c, "task.cancel", map[string]string{"task": "t1"}, ws.CodeNotFound, "t1") // not the Applier's
	nf.mu.Lock()
	asked := len(nf.asked)
	nf.mu.Unlock()
	if asked != 5 {
		t.Errorf("the floor was asked %d times, want 5 (not without a node)", asked)
	}

	e1 := newEnv(t, func(cfg *console.Config) { cfg.Applier = ft })
	wantErr(t, e1.admin(), "task.cancel", map[string]string{"task": "t1", "node": "n2"}, ws.CodeNotFound, "n2")
}
