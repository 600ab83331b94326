package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// apiTasks sends one request to the gateway's /api/tasks with the given
// admin token ("" for none) and returns the status and the decoded body.
func apiTasks(t *testing.T, g *gateway, method, path, token, body string) (int, map[string]any, []map[string]any) {
	t.Helper()
	code, b, _ := httpDo(t, method, g.HTTP+path, token, []byte(body), nil)
	var obj map[string]any
	var arr []map[string]any
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		_ = json.Unmarshal(b, &arr)
	} else {
		_ = json.Unmarshal(b, &obj)
	}
	return code, obj, arr
}

// errReason is "<code> <data.reason>" of a task API error body.
func errReason(obj map[string]any) string {
	er, _ := obj["error"].(map[string]any)
	data, _ := er["data"].(map[string]any)
	if er == nil {
		return ""
	}
	b, _ := json.Marshal(er["code"])
	r, _ := data["reason"].(string)
	return string(b) + " " + r
}

// PROTOCOL §10 against the binary: the HTTP task API and a chat task
// beside a call. /api/tasks answers 401 without the admin token or with a
// wrong one; bad input gets 400 with a JSON-RPC -32602 error and a reason.
// A non-blocking chat created over HTTP is offered to the agent as a task
// reservation with its attributes, accepted (the answer is the Task), and
// while the agent holds it a call still reaches the agent (non-blocking
// work does not stop a blocking one) and both sides hear each other.
// task.complete ends the chat, GET shows it completed, the agent gets
// task.updated, and records.list {channel: chat} lists the task's record.
func TestTaskAPIAndChatBesideCallE2E(t *testing.T) {
	t.Parallel()
	g := startGW(t)
	g.seed(t, []map[string]any{{"id": "chat", "name": "Chat", "simultaneous_tasks": true}, {"id": "sales", "name": "Sales"}},
		[]agentSpec{{ID: "a1", Ext: "1001", Queues: []string{"chat", "sales"}}}, map[string]string{"5010": "queue:sales"})
	good := `{"channel": "chat", "queue": "chat", "block_agent": false, "attributes": {"customer": "Ann", "topic": "billing"}}`
	for _, tok := range []string{"", "wrong-token"} {
		for _, r := range []struct{ method, path, body string }{
			{"POST", "/api/tasks", good}, {"GET", "/api/tasks", ""}, {"GET", "/api/tasks/x", ""}, {"DELETE", "/api/tasks/x", ""},
		} {
			if code, _, _ := apiTasks(t, g, r.method, r.path, tok, r.body); code != http.StatusUnauthorized {
				t.Errorf("%s %s with token %q = %d, want 401", r.method, r.path, tok, code)
			}
		}
	}
	if _, _, l := apiTasks(t, g, "GET", "/api/tasks", g.Token, ""); len(l) != 0 {
		t.Fatalf("tasks after refused requests: %v", l)
	}
	for _, tt := range []struct{ body, reason string }{
		{`{"channel": "voice", "queue": "chat"}`, "voice tasks are calls"},
		{`{"channel": "chat", "queue": "nope"}`, "unknown queue"},
		{`{"channel": "chat"}`, "exactly one of queue and workflow"},
		{`{"channel": "chat", "queue": "chat", "colour": "red"}`, "unknown field"},
		{`not json`, "body"},
	} {
		code, obj, _ := apiTasks(t, g, "POST", "/api/tasks", g.Token, tt.body)
		if r := errReason(obj); code != http.StatusBadRequest || !strings.HasPrefix(r, "-32602 ") || !strings.Contains(r, tt.reason) {
			t.Errorf("POST %s = %d %q, want 400 -32602 with %q", tt.body, code, r, tt.reason)
		}
	}
	if code, obj, _ := apiTasks(t, g, "GET", "/api/tasks/t-nope", g.Token, ""); code != http.StatusNotFound || !strings.HasPrefix(errReason(obj), "-32002 ") {
		t.Errorf("GET unknown = %d %v", code, obj)
	}

	a1 := g.login(t, "a1", toneAgent)
	code, task, _ := apiTasks(t, g, "POST", "/api/tasks", g.Token, good)
	if code != http.StatusCreated || task["channel"] != "chat" || task["block_agent"] != false {
		t.Fatalf("POST = %d %v", code, task)
	}
	id := task["id"].(string)
	p := a1.offer(t)
	attrs, _ := p["attributes"].(map[string]any)
	ptask, _ := p["task"].(map[string]any)
	if p["kind"] != "task" || p["queue"] != "chat" || attrs["customer"] != "Ann" || attrs["channel"] != "chat" || ptask["id"] != id {
		t.Fatalf("task reservation %v", p)
	}
	var accepted map[string]any
	a1.WS.MustCall("reservation.accept", map[string]string{"reservation": p["id"].(string)}, &accepted)
	if accepted["id"] != id || accepted["state"] != "assigned" || accepted["agent"] != "a1" {
		t.Fatalf("reservation.accept = %v, want the assigned Task", accepted)
	}
	if code, obj, _ := apiTasks(t, g, "GET", "/api/tasks/"+id, g.Token, ""); code != 200 || obj["state"] != "assigned" || obj["assigned_at"] == nil {
		t.Errorf("GET assigned = %d %v", code, obj)
	}

	// The chat is non-blocking: a call still reaches the agent.
	c := g.dial(t, "5010", toneCaller1)
	cp := a1.offer(t)
	if cp["queue"] != "sales" || cp["kind"] == "task" {
		t.Fatalf("call offer beside the chat %v", cp)
	}
	a1.WS.MustCall("reservation.accept", map[string]string{"reservation": cp["id"].(string)}, nil)
	talking(t, "call beside a chat", c, toneCaller1, a1)

	var done map[string]any
	a1.WS.MustCall("task.complete", map[string]string{"task": id}, &done)
	if done["state"] != "completed" || done["completed_at"] == nil {
		t.Fatalf("task.complete = %v", done)
	}
	a1.expect(t, 5*time.Second, notif{"task.updated", func(p map[string]any) bool { return p["id"] == id && p["state"] == "completed" }})
	if code, obj, _ := apiTasks(t, g, "GET", "/api/tasks/"+id, g.Token, ""); code != 200 || obj["state"] != "completed" {
		t.Errorf("GET completed = %d %v", code, obj)
	}
	if code, obj, _ := apiTasks(t, g, "DELETE", "/api/tasks/"+id, g.Token, ""); code != http.StatusConflict || !strings.HasPrefix(errReason(obj), "-32003 ") {
		t.Errorf("DELETE completed = %d %v, want 409", code, obj)
	}
	adm := g.admin(t)
	waitFor(t, 10*time.Second, "the chat's record", func() bool {
		var rs []map[string]any
		adm.MustCall("records.list", map[string]string{"channel": "chat"}, &rs)
		return len(rs) == 1 && rs[0]["call"] == id && rs[0]["agent"] == "a1" && rs[0]["channel"] == "chat"
	})

	// A second task canceled over HTTP while it waits for the busy agent's
	// next free slot or is offered: DELETE answers it canceled.
	code, t2, _ := apiTasks(t, g, "POST", "/api/tasks", g.Token, `{"channel": "email", "queue": "chat"}`)
	if code != http.StatusCreated {
		t.Fatalf("POST second = %d %v", code, t2)
	}
	if code, obj, _ := apiTasks(t, g, "DELETE", "/api/tasks/"+t2["id"].(string), g.Token, ""); code != 200 || obj["state"] != "canceled" {
		t.Errorf("DELETE waiting = %d %v", code, obj)
	}
	if _, _, l := apiTasks(t, g, "GET", "/api/tasks?state=canceled", g.Token, ""); len(l) != 1 || l[0]["id"] != t2["id"] {
		t.Errorf("GET ?state=canceled = %v", l)
	}
}
