package adminui

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The fake console's IVR menus, prompts and tasks (PROTOCOL §10, docs §K):
// the refusals the page must show by field, as the real console words them.

// fakePromptMax is the fake's upload limit (the real one is 32 MiB), so a
// test can provoke the 413 with a small file.
const fakePromptMax = 64 << 10

var menuTargetRE = regexp.MustCompile(`^(queue|workflow|extension|ivr:menu):(.+)$|^ivr:extension$`)

// menuTarget checks target t of field for form and existence.
func (f *fakeConsole) menuTarget(field, t string) *rpcError {
	m := menuTargetRE.FindStringSubmatch(t)
	if m == nil {
		return invalid(fmt.Sprintf("%s: %q must be queue:<id>, workflow:<id>, extension:<ext>, ivr:extension or ivr:menu:<id>", field, t))
	}
	if _, ok := f.queues[m[2]]; m[1] == "queue" && !ok {
		return invalid(field + ": unknown queue " + m[2])
	}
	if _, ok := f.menus[m[2]]; m[1] == "ivr:menu" && !ok {
		return invalid(field + ": unknown menu " + m[2])
	}
	return nil
}

func (f *fakeConsole) menuMethod(method string, p map[string]any) (any, *rpcError, map[string]any) {
	id, _ := p["id"].(string)
	switch method {
	case "menu.put":
		if !idRE.MatchString(id) {
			return nil, invalid("id: must match [a-z0-9._-]{1,64}"), nil
		}
		prompt, _ := p["prompt"].(string)
		if prompt == "" {
			return nil, invalid("prompt: required"), nil
		}
		if _, ok := f.prompts[prompt]; !ok {
			return nil, invalid("prompt: unknown prompt " + prompt + " (upload it with PUT /api/prompts/" + prompt + ")"), nil
		}
		opts, _ := p["options"].(map[string]any)
		if len(opts) == 0 {
			return nil, invalid("options: at least one option"), nil
		}
		self := f.menus[id] == nil // a menu may name itself
		if self {
			f.menus[id] = map[string]any{}
		}
		defer func() {
			if self && len(f.menus[id]) == 0 {
				delete(f.menus, id)
			}
		}()
		for _, d := range slices.Sorted(maps.Keys(opts)) {
			o, _ := opts[d].(map[string]any)
			t, _ := o["target"].(string)
			if e := f.menuTarget("options."+d+".target", t); e != nil {
				return nil, e, nil
			}
		}
		m := maps.Clone(p)
		for k, def := range map[string]float64{"timeout_seconds": 5, "retries": 3} {
			v, ok := m[k].(float64)
			if !ok {
				v = def
			}
			if max := map[string]float64{"timeout_seconds": 60, "retries": 10}[k]; v < 1 || v > max {
				return nil, invalid(fmt.Sprintf("%s: %v out of range 1..%v", k, v, max)), nil
			}
			m[k] = v
		}
		if fb, _ := m["fallback"].(string); fb != "" {
			if e := f.menuTarget("fallback", fb); e != nil {
				return nil, e, nil
			}
		}
		if _, ok := m["name"]; !ok {
			m["name"] = id
		}
		f.menus[id] = m
		return m, nil, map[string]any{"kind": "menu", "id": id, "op": "put"}
	case "menu.delete":
		if _, ok := f.menus[id]; !ok {
			return nil, &rpcError{Code: -32002, Message: "not found", Data: map[string]any{"reason": "menu " + id}}, nil
		}
		for n, r := range f.routes {
			if r["target"] == "ivr:menu:"+id {
				return nil, invalid("id: menu " + id + " is used by route " + n), nil
			}
		}
		delete(f.menus, id)
		return map[string]any{}, nil, map[string]any{"kind": "menu", "id": id, "op": "delete"}
	case "menu.list":
		out := []any{}
		for _, k := range slices.Sorted(maps.Keys(f.menus)) {
			out = append(out, f.menus[k])
		}
		return out, nil, nil
	case "prompt.list":
		out := []any{}
		for _, k := range slices.Sorted(maps.Keys(f.prompts)) {
			out = append(out, map[string]any{"id": k, "seconds": f.prompts[k]})
		}
		return out, nil, nil
	case "prompt.delete":
		if _, ok := f.prompts[id]; !ok {
			return nil, &rpcError{Code: -32002, Message: "not found", Data: map[string]any{"reason": "prompt " + id}}, nil
		}
		for _, k := range slices.Sorted(maps.Keys(f.menus)) {
			if f.menus[k]["prompt"] == id {
				return nil, &rpcError{Code: -32003, Message: "conflict", Data: map[string]any{"reason": "prompt " + id + " is used by menu " + k}}, nil
			}
		}
		delete(f.prompts, id)
		return map[string]any{}, nil, nil
	}
	return nil, &rpcError{Code: -32601, Message: "method not found"}, nil
}

// promptAPI is PUT /api/prompts/<id> with the admin token: 401, 413 over
// fakePromptMax, 400 for a bad id or a body that is not RIFF/WAVE; else
// 200 {id, seconds} (8 kHz mono 16-bit assumed).
func (f *fakeConsole) promptAPI() http.Handler {
	fail := func(w http.ResponseWriter, status int, reason string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": -32602, "message": "invalid params", "data": map[string]string{"reason": reason}}})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || r.Header.Get("Authorization") != "Bearer "+f.token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, fakePromptMax))
		if err != nil {
			fail(w, http.StatusRequestEntityTooLarge, "body: larger than 32 MiB")
			return
		}
		id := strings.TrimPrefix(r.URL.Path, "/api/prompts/")
		if !idRE.MatchString(id) {
			fail(w, http.StatusBadRequest, "invalid prompt: id must match [a-z0-9._-]{1,64}")
			return
		}
		if len(body) < 44 || string(body[:4]) != "RIFF" || string(body[8:12]) != "WAVE" {
			fail(w, http.StatusBadRequest, "invalid prompt: read wav: unsupported or malformed wav: not a RIFF/WAVE file")
			return
		}
		secs := float64(len(body)-44) / 16000
		f.mu.Lock()
		f.prompts[id] = secs
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": id, "seconds": secs})
	})
}

// taskMethod serves task.create/list/cancel (PROTOCOL §10) from memory.
func (f *fakeConsole) taskMethod(method string, p map[string]any) (any, *rpcError, map[string]any) {
	switch method {
	case "task.create":
		ch, _ := p["channel"].(string)
		q, _ := p["queue"].(string)
		wf, _ := p["workflow"].(string)
		switch {
		case ch == "":
			return nil, invalid("channel: required"), nil
		case !regexp.MustCompile(`^[a-z0-9_-]{1,32}$`).MatchString(ch):
			return nil, invalid(fmt.Sprintf("channel: %q must match [a-z0-9_-]{1,32}", ch)), nil
		case ch == "voice":
			return nil, invalid("channel: voice tasks are calls: they arrive over the trunk"), nil
		case (q == "") == (wf == ""):
			return nil, invalid("queue: give exactly one of queue and workflow"), nil
		}
		if _, ok := f.queues[q]; q != "" && !ok {
			return nil, invalid(fmt.Sprintf("queue: unknown queue %q", q)), nil
		}
		attrs, _ := p["attributes"].(map[string]any)
		if attrs == nil {
			attrs = map[string]any{}
		}
		attrs["channel"] = ch
		block, ok := p["block_agent"].(bool)
		if !ok {
			block = true
		}
		t := map[string]any{"id": fmt.Sprintf("tk%d", len(f.tasks)+1), "channel": ch, "state": "pending", "attributes": attrs,
			"queue": q, "block_agent": block, "created_at": time.Now().UTC().Format(time.RFC3339Nano)}
		if wf != "" {
			t["workflow"] = wf
		}
		f.tasks = append(f.tasks, t)
		return t, nil, nil
	case "task.list":
		st, _ := p["state"].(string)
		out := []any{}
		for _, t := range f.tasks {
			if st == "" || t["state"] == st {
				out = append(out, maps.Clone(t))
			}
		}
		return out, nil, nil
	case "task.cancel":
		id, _ := p["task"].(string)
		if id == "" {
			return nil, invalid("task: required"), nil
		}
		if f.cancelErr != nil {
			return nil, f.cancelErr, nil
		}
		for _, t := range f.tasks {
			if t["id"] != id {
				continue
			}
			switch t["state"] {
			case "completed", "canceled":
				return nil, &rpcError{Code: -32003, Message: "conflict", Data: map[string]any{"reason": fmt.Sprintf("task %s is %s", id, t["state"])}}, nil
			case "wrapping":
				t["state"] = "completed"
			default:
				t["state"], t["reason"] = "canceled", "canceled"
			}
			t["completed_at"] = time.Now().UTC().Format(time.RFC3339Nano)
			return maps.Clone(t), nil, nil
		}
		return nil, &rpcError{Code: -32002, Message: "not found", Data: map[string]any{"reason": "task " + id}}, nil
	}
	return nil, &rpcError{Code: -32601, Message: "method not found"}, nil
}

// liveTasks is state's tasks: those not finished.
func (f *fakeConsole) liveTasks() []any {
	out := []any{}
	for _, t := range f.tasks {
		if t["state"] != "completed" && t["state"] != "canceled" {
			out = append(out, maps.Clone(t))
		}
	}
	return out
}

// setTask changes task id's fields (as the router would) and sends an
// event so the page refreshes its state.
func (f *fakeConsole) setTask(id string, fields map[string]any) {
	f.mu.Lock()
	for _, t := range f.tasks {
		if t["id"] == id {
			maps.Copy(t, fields)
		}
	}
	f.mu.Unlock()
	f.event(map[string]any{"type": "task.assigned", "task": id})
}
