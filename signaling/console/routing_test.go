package console_test

import (
	"slices"
	"testing"

	"switchboard/signaling/ws"
)

// PROTOCOL §10 agent and queue fields over the console: defaults, -32602
// with a reason for an expression that does not compile, and queue.get's
// members (listed agents plus those target_workers selects).
func TestRoutingFieldsAndMembers(t *testing.T) {
	e := newEnv(t, nil)
	c := e.admin()
	var q map[string]any
	c.MustCall("queue.put", map[string]any{"id": "es", "target_workers": `"spanish" in skills and level >= 2`, "order": "lifo", "simultaneous_tasks": true}, &q)
	if q["order"] != "lifo" || q["sl_seconds"] != 20.0 || q["simultaneous_tasks"] != true {
		t.Fatalf("queue.put = %v", q)
	}
	c.MustCall("queue.put", map[string]any{"id": "sales"}, nil)
	wantErr(t, c, "queue.put", map[string]any{"id": "bad", "target_workers": "level >="}, -32602, "target_workers")
	wantErr(t, c, "queue.put", map[string]any{"id": "bad", "order": "random"}, -32602, "order")
	var a map[string]any
	c.MustCall("agent.put", map[string]any{"id": "ana", "extension": "101", "attributes": map[string]any{"skills": []string{"spanish"}, "level": 3},
		"channels": map[string]int{"chat": 3}, "max_nonblocking": 2}, &a)
	if a["max_nonblocking"] != 2.0 || a["role"] != "agent" || a["voicemail"] != true {
		t.Fatalf("agent.put = %v", a)
	}
	c.MustCall("agent.put", map[string]any{"id": "bob", "extension": "102", "queues": []string{"es"}}, nil)
	c.MustCall("agent.put", map[string]any{"id": "cy", "extension": "103", "attributes": map[string]any{"skills": []string{"spanish"}}}, nil)
	wantErr(t, c, "agent.put", map[string]any{"id": "dee", "extension": "104", "max_nonblocking": 9}, -32602, "max_nonblocking")
	wantErr(t, c, "agent.put", map[string]any{"id": "dee", "extension": "104", "role": "boss"}, -32602, "role")
	var got struct {
		Members []string `json:"members"`
	}
	c.MustCall("queue.get", map[string]any{"id": "es"}, &got)
	if !slices.Equal(got.Members, []string{"ana", "bob"}) {
		t.Fatalf("members %v, want [ana bob] (cy lacks level)", got.Members)
	}
	// An update that omits the fields keeps them.
	c.MustCall("agent.put", map[string]any{"id": "ana", "name": "Ana"}, &a)
	if a["max_nonblocking"] != 2.0 || a["channels"].(map[string]any)["chat"] != 3.0 {
		t.Fatalf("update lost fields: %v", a)
	}
}

// workflow.put/get/list/delete, -32602 for an expression that does not
// compile or an unknown queue, and the workflow:<id> route target.
func TestWorkflowMethods(t *testing.T) {
	e := newEnv(t, nil)
	c := e.admin()
	c.MustCall("queue.put", map[string]any{"id": "es"}, nil)
	c.MustCall("queue.put", map[string]any{"id": "sales"}, nil)
	wf := map[string]any{"id": "wf", "default_queue": "sales", "filters": []any{
		map[string]any{"name": "spanish", "expression": `lang == "es"`, "targets": []any{
			map[string]any{"queue": "es", "timeout_seconds": 3}, map[string]any{"queue": "sales"}}}}}
	var got map[string]any
	c.MustCall("workflow.put", wf, &got)
	if got["name"] != "wf" || got["default_queue"] != "sales" {
		t.Fatalf("workflow.put = %v", got)
	}
	wantErr(t, c, "workflow.put", map[string]any{"id": "bad", "filters": []any{map[string]any{"name": "x", "expression": "lang ==", "targets": []any{map[string]any{"queue": "es"}}}}}, -32602, "expression")
	wantErr(t, c, "workflow.put", map[string]any{"id": "bad", "filters": []any{map[string]any{"name": "x", "targets": []any{map[string]any{"queue": "nope"}}}}}, -32602, "unknown queue nope")
	wantErr(t, c, "workflow.put", map[string]any{"id": "bad", "filters": []any{map[string]any{"name": "x", "targets": []any{}}}}, -32602, "targets")
	wantErr(t, c, "route.put", map[string]any{"number": "5006", "target": "workflow:nope"}, -32602, "unknown workflow")
	c.MustCall("route.put", map[string]any{"number": "5006", "target": "workflow:wf"}, nil)
	var list []map[string]any
	c.MustCall("workflow.list", nil, &list)
	if len(list) != 1 {
		t.Fatalf("workflow.list = %v", list)
	}
	wantErr(t, c, "workflow.delete", map[string]any{"id": "wf"}, -32602, "route 5006")
	c.MustCall("route.delete", map[string]any{"number": "5006"}, nil)
	c.MustCall("workflow.delete", map[string]any{"id": "wf"}, nil)
	wantErr(t, c, "workflow.get", map[string]any{"id": "wf"}, ws.CodeNotFound, "workflow wf")
}

// Custom activities: put, list (built-ins first), built-ins undeletable
// and unchangeable, delete.
func TestActivityMethods(t *testing.T) {
	e := newEnv(t, nil)
	c := e.admin()
	var a map[string]any
	c.MustCall("activity.put", map[string]any{"id": "lunch", "name": "Lunch", "available": false}, &a)
	if a["id"] != "lunch" || a["available"] != false {
		t.Fatalf("activity.put = %v", a)
	}
	c.MustCall("activity.put", map[string]any{"id": "chat-only", "available": true}, nil)
	var list []map[string]any
	c.MustCall("activity.list", nil, &list)
	var ids []string
	for _, x := range list {
		ids = append(ids, x["id"].(string))
	}
	if !slices.Equal(ids, []string{"available", "unavailable", "break", "offline", "chat-only", "lunch"}) {
		t.Fatalf("activity.list ids %v", ids)
	}
	for _, id := range []string{"available", "unavailable", "break", "offline"} {
		wantErr(t, c, "activity.delete", map[string]any{"id": id}, -32602, "built-in")
		wantErr(t, c, "activity.put", map[string]any{"id": id, "available": true}, -32602, "built-in")
	}
	wantErr(t, c, "activity.put", map[string]any{"id": "x"}, -32602, "available")
	c.MustCall("activity.delete", map[string]any{"id": "lunch"}, nil)
	wantErr(t, c, "activity.delete", map[string]any{"id": "lunch"}, ws.CodeNotFound, "activity lunch")
}
