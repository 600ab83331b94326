package adminui

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/web/webtest"
)

// routingMethod serves workflow.* and activity.* from memory (PROTOCOL
// §10): a workflow needs filters with targets; built-in activities cannot
// be put or deleted.
func (f *fakeConsole) routingMethod(method string, p map[string]any) (any, *rpcError, map[string]any) {
	kind, op, _ := strings.Cut(method, ".")
	id, _ := p["id"].(string)
	builtins := []string{"available", "unavailable", "break", "offline"}
	switch op {
	case "put":
		if !idRE.MatchString(id) {
			return nil, invalid("id: must match [a-z0-9._-]{1,64}"), nil
		}
		if kind == "activity" {
			if slices.Contains(builtins, id) {
				return nil, invalid("id: " + id + " is a built-in activity and cannot be changed"), nil
			}
			if _, ok := p["available"].(bool); !ok {
				return nil, invalid("available: required"), nil
			}
		} else {
			fs, _ := p["filters"].([]any)
			for _, x := range fs {
				if m, _ := x.(map[string]any); len(m) == 0 || len(m["targets"].([]any)) == 0 {
					return nil, invalid("filters[0].targets: 0 targets, want 1..16"), nil
				}
			}
		}
		f.routing[kind+":"+id] = maps.Clone(p)
		return p, nil, nil
	case "delete":
		if kind == "activity" && slices.Contains(builtins, id) {
			return nil, invalid("id: " + id + " is a built-in activity and cannot be deleted"), nil
		}
		delete(f.routing, kind+":"+id)
		return map[string]any{}, nil, nil
	}
	out := []any{}
	if kind == "activity" {
		for _, b := range builtins {
			out = append(out, map[string]any{"id": b, "name": b, "available": b == "available", "built_in": true})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(f.routing)) {
		if strings.HasPrefix(k, kind+":") {
			out = append(out, f.routing[k])
		}
	}
	return out, nil, nil
}

// The Workflows section: a workflow saved from the JSON editor shows up in
// the table, a refused one shows the reason; a custom activity is added
// and listed after the built-ins, whose delete buttons are absent.
func TestWorkflowsSection(t *testing.T) {
	ctx, srv, _ := startConsole(t)
	adminLogin(t, ctx, srv.URL+"/admin#workflows")
	webtest.WaitVisible(t, ctx, "#workflow-form", 0)
	webtest.SetValue(t, ctx, "#workflow-form textarea[name=doc]", `{"id":"wf","default_queue":"sales","filters":[{"name":"es","expression":"lang == \"es\"","targets":[{"queue":"es","timeout_seconds":3},{"queue":"sales"}]}]}`)
	webtest.Click(t, ctx, "#workflow-submit")
	webtest.WaitVisible(t, ctx, `#workflows-table tr[data-workflow=wf]`, 0)
	webtest.WaitTrue(t, ctx, `document.querySelector('#workflows-table tr[data-workflow=wf] .workflow-filters').textContent.includes('es → es (3 s), sales')`, 5*time.Second,
		`document.querySelector('#workflows-table').innerText`)
	webtest.SetValue(t, ctx, "#workflow-form textarea[name=doc]", `{"id":"bad","filters":[{"name":"x","targets":[]}]}`)
	webtest.Click(t, ctx, "#workflow-submit")
	webtest.WaitTrue(t, ctx, `document.querySelector('.form-error[data-form=workflow]').textContent.includes('targets')`, 5*time.Second,
		`document.querySelector('.form-error[data-form=workflow]').textContent`)
	webtest.SetValue(t, ctx, "#workflow-form textarea[name=doc]", `{not json`)
	webtest.Click(t, ctx, "#workflow-submit")
	webtest.WaitTrue(t, ctx, `document.querySelector('.form-error[data-form=workflow]').textContent.includes('JSON')`, 5*time.Second,
		`document.querySelector('.form-error[data-form=workflow]').textContent`)

	webtest.SetValue(t, ctx, "#activity-form input[name=id]", "lunch")
	webtest.Click(t, ctx, "#activity-submit")
	webtest.WaitVisible(t, ctx, `#activities-table tr[data-activity=lunch]`, 0)
	ids := webtest.Eval[string](t, ctx, `[...document.querySelectorAll('#activities-table tr[data-activity]')].map((r) => r.dataset.activity + (r.querySelector('button.delete') ? '*' : '')).join(' ')`)
	if ids != "available unavailable break offline lunch*" {
		t.Fatalf("activities %q, want the built-ins (no delete) then lunch*", ids)
	}
}

// The agent and queue forms carry the §10 fields: attributes and channels
// as JSON (bad JSON refused on the page), max_nonblocking, target_workers,
// order, simultaneous_tasks.
func TestRoutingFieldsInForms(t *testing.T) {
	ctx, srv, fake := startConsole(t)
	adminLogin(t, ctx, srv.URL+"/admin#queues")
	webtest.WaitVisible(t, ctx, "#queue-form", 0)
	webtest.SetValue(t, ctx, "#queue-form input[name=id]", "es")
	webtest.SetValue(t, ctx, "#queue-form input[name=target_workers]", `"spanish" in skills`)
	webtest.Eval[bool](t, ctx, `(() => { document.querySelector("#queue-form select[name=order]").value = "lifo"; return true; })()`)
	webtest.Click(t, ctx, "#queue-form input[name=simultaneous_tasks]")
	webtest.Click(t, ctx, "#queue-submit")
	webtest.WaitVisible(t, ctx, `#queues-table tr[data-queue=es]`, 0)
	webtest.WaitTrue(t, ctx, `(() => { const q = sbAdmin.state.queues.es; return q && q.target_workers === '"spanish" in skills' && q.order === 'lifo' && q.simultaneous_tasks === true; })()`,
		5*time.Second, `JSON.stringify(sbAdmin.state.queues.es)`)

	webtest.Click(t, ctx, `#section-nav a[data-section=agents]`)
	webtest.SetValue(t, ctx, "#agent-form input[name=id]", "ana")
	webtest.SetValue(t, ctx, "#agent-form input[name=extension]", "101")
	webtest.SetValue(t, ctx, "#agent-form textarea[name=attributes]", `{not json`)
	webtest.Click(t, ctx, "#agent-submit")
	webtest.WaitTrue(t, ctx, `document.querySelector('.field-error[data-field=attributes]').textContent.includes('JSON')`, 5*time.Second,
		`document.querySelector('#agent-form').innerText`)
	webtest.SetValue(t, ctx, "#agent-form textarea[name=attributes]", `{"skills": ["spanish"], "level": 2}`)
	webtest.SetValue(t, ctx, "#agent-form input[name=channels]", `{"chat": 3}`)
	webtest.SetValue(t, ctx, "#agent-form input[name=max_nonblocking]", "2")
	webtest.Click(t, ctx, "#agent-submit")
	webtest.WaitVisible(t, ctx, `#agents-table tr[data-agent=ana]`, 0)
	webtest.WaitTrue(t, ctx, `(() => { const a = sbAdmin.state.agents.ana; return a && a.attributes && a.attributes.level === 2 && a.channels.chat === 3 && a.max_nonblocking === 2; })()`,
		5*time.Second, `JSON.stringify(sbAdmin.state.agents.ana)`)
	_ = fake
}
