package adminui

import (
	"strings"
	"testing"
	"time"

	"switchboard/web/webtest"
)

// TestTasksSection (issue 14/17): a task made in the console (channel,
// queue, attributes JSON, non-blocking) is listed live with its channel,
// state, queue name, attributes and a running age; bad input is shown by
// field (bad JSON on the page, the server's channel and queue refusals);
// when the router assigns it the row shows the agent, and the Floor counts
// it in its queue's tile; Cancel (two clicks) ends a live task, Complete a
// wrapping one, and a finished task's refusal is shown. axe-clean.
func TestTasksSection(t *testing.T) {
	ctx, srv, fake := startConsole(t)
	fake.mu.Lock()
	fake.queues["chat"] = map[string]any{"id": "chat", "name": "Web chat"}
	fake.mu.Unlock()
	adminLogin(t, ctx, srv.URL+"/admin#tasks")
	webtest.WaitTrue(t, ctx, `[...document.querySelectorAll('#task-form select[name=queue] option')].some((o) => o.value === 'chat')`, 5*time.Second,
		`document.querySelector('#task-form').innerHTML`)
	const form = "#task-form"

	webtest.Click(t, ctx, "#task-submit")
	fieldError(t, ctx, form, "queue", "choose a queue or a workflow")
	webtest.SetValue(t, ctx, form+" select[name=queue]", "chat")
	webtest.SetValue(t, ctx, form+" textarea[name=attributes]", `{customer: ACME}`)
	webtest.Click(t, ctx, "#task-submit")
	fieldError(t, ctx, form, "attributes", "not valid JSON")
	webtest.SetValue(t, ctx, form+" textarea[name=attributes]", `{"customer": "ACME", "lang": "es"}`)
	webtest.SetValue(t, ctx, form+" input[name=channel]", "voice")
	webtest.Click(t, ctx, "#task-submit")
	fieldError(t, ctx, form, "channel", "voice tasks are calls")
	webtest.SetValue(t, ctx, form+" input[name=channel]", "chat")
	webtest.Click(t, ctx, form+" input[name=block_agent]") // non-blocking
	webtest.Click(t, ctx, "#task-submit")
	webtest.WaitVisible(t, ctx, `#tasks-table tr[data-task=tk1][data-state=pending]`, 0)
	cell := func(cls string) string {
		return webtest.Eval[string](t, ctx, `document.querySelector('#tasks-table tr[data-task=tk1] .`+cls+`').textContent`)
	}
	for cls, want := range map[string]string{"task-channel": "chat", "task-queue": "Web chat", "task-agent": "—", "task-blocking": "no", "task-attributes": "customer: ACME, lang: es"} {
		if got := cell(cls); got != want {
			t.Errorf("task cell %s = %q, want %q", cls, got, want)
		}
	}
	webtest.WaitTrue(t, ctx, `/^00:(0[1-9]|[1-5][0-9])$/.test(document.querySelector('#tasks-table tr[data-task=tk1] .task-age').textContent)`, 5*time.Second,
		`document.querySelector('#tasks-table tr[data-task=tk1] .task-age').textContent`)
	if n := webtest.Eval[string](t, ctx, `document.querySelector('#task-form .field-error[data-field=channel]').textContent`); n != "" {
		t.Errorf("channel error %q left after a good create", n)
	}

	// A second task, assigned by the router: the agent shows; the Floor counts both.
	webtest.Click(t, ctx, "#task-submit")
	webtest.WaitVisible(t, ctx, `#tasks-table tr[data-task=tk2]`, 0)
	fake.setTask("tk2", map[string]any{"state": "assigned", "agent": "ana", "assigned_at": time.Now().UTC().Format(time.RFC3339Nano)})
	webtest.WaitTrue(t, ctx, `document.querySelector('#tasks-table tr[data-task=tk2][data-state=assigned] .task-agent')?.textContent === 'ana'`, 5*time.Second,
		`document.querySelector('#tasks-table').innerText`)
	webtest.AxeClean(t, ctx, "tasks listed")
	webtest.Click(t, ctx, `#section-nav a[data-section=floor]`)
	tile := `#wallboard .wall-queue[data-queue=chat]`
	webtest.WaitTrue(t, ctx, `(() => { const q = document.querySelector('`+tile+`'); return q && q.dataset.tasks === '2' && q.dataset.tasksWaiting === '1'
		&& q.querySelector('.wall-tasks-waiting .wall-value').textContent === '1' && q.querySelector('.wall-tasks-assigned .wall-value').textContent === '1'; })()`,
		5*time.Second, `document.querySelector('#wallboard').innerText`)
	if got := webtest.Eval[string](t, ctx, `document.querySelector('#wallboard-totals .wall-tasks .wall-value').textContent`); got != "2" {
		t.Errorf("floor live tasks %q, want 2", got)
	}

	// Cancel the pending one; the wrapping one is completed; a finished one is refused.
	webtest.Click(t, ctx, `#section-nav a[data-section=tasks]`)
	webtest.Click(t, ctx, `#tasks-table tr[data-task=tk1] button.task-cancel`)
	if n := fake.count("task.cancel"); n != 0 {
		t.Fatalf("one click sent task.cancel %d times, want a confirmation first", n)
	}
	webtest.Click(t, ctx, `#tasks-table tr[data-task=tk1] button.task-cancel`)
	webtest.WaitNotPresent(t, ctx, `#tasks-table tr[data-task=tk1]`, 5*time.Second)
	fake.setTask("tk2", map[string]any{"state": "wrapping"})
	webtest.WaitTrue(t, ctx, `document.querySelector('#tasks-table tr[data-task=tk2][data-state=wrapping] button.task-cancel')?.textContent === 'Complete'`, 5*time.Second,
		`document.querySelector('#tasks-table').innerText`)
	webtest.Click(t, ctx, `#tasks-table tr[data-task=tk2] button.task-cancel`)
	webtest.Click(t, ctx, `#tasks-table tr[data-task=tk2] button.task-cancel`)
	webtest.WaitNotPresent(t, ctx, `#tasks-table tr[data-task=tk2]`, 5*time.Second)
	webtest.SetValue(t, ctx, "#tasks-filter", "all")
	webtest.WaitTrue(t, ctx, `document.querySelector('#tasks-table tr[data-task=tk1]')?.dataset.state === 'canceled' && document.querySelector('#tasks-table tr[data-task=tk2]')?.dataset.state === 'completed'`,
		5*time.Second, `document.querySelector('#tasks-table').innerText`)
	if webtest.Eval[bool](t, ctx, `!!document.querySelector('#tasks-table tr[data-task=tk1] button.task-cancel')`) {
		t.Error("a canceled task still has an end button")
	}
	// A refusal of the server (the task ended elsewhere meanwhile) is shown.
	fake.mu.Lock()
	fake.tasks = append(fake.tasks, map[string]any{"id": "tk9", "channel": "email", "state": "pending", "queue": "chat", "attributes": map[string]any{}, "block_agent": true,
		"created_at": time.Now().UTC().Format(time.RFC3339Nano)})
	fake.cancelErr = &rpcError{Code: -32003, Message: "conflict", Data: map[string]any{"reason": "task tk9 is completed"}}
	fake.mu.Unlock()
	webtest.Eval[bool](t, ctx, `sbAdmin.tasks.poll().then(() => true)`)
	webtest.Click(t, ctx, `#tasks-table tr[data-task=tk9] button.task-cancel`)
	webtest.Click(t, ctx, `#tasks-table tr[data-task=tk9] button.task-cancel`)
	webtest.WaitTrue(t, ctx, `document.querySelector('.form-error[data-form=tasks]').textContent.includes('task tk9 is completed')`, 5*time.Second,
		`document.querySelector('.form-error[data-form=tasks]').textContent`)
	webtest.SetValue(t, ctx, "#tasks-filter", "live")
	if s := webtest.Eval[string](t, ctx, `document.querySelector('#tasks-count').textContent`); !strings.Contains(s, "1 live") {
		t.Errorf("count %q, want 1 live", s)
	}
}
