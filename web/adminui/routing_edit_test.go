package adminui

import (
	"testing"
	"time"

	"switchboard/web/webtest"
)

// TestRoutingEdits (issue 14 "the admin page edits attributes, target
// expressions, workflows, menus, prompts and activities"): editing, not
// only creating. A queue's target expression that does not compile is shown
// by its field with the server's reason; Edit loads a queue's expression and
// a changed one is saved. Edit loads an agent's attributes as JSON, a changed
// value is saved, and emptying the field clears them ({}). Edit loads a
// workflow into the editor and the changed default queue is saved. A
// workflow and a custom activity are deleted with two clicks even when the
// 2 s poll lands between the clicks (the rows used to be rebuilt on every
// poll, so the armed button was lost).
func TestRoutingEdits(t *testing.T) {
	ctx, srv, fake := startConsole(t)
	adminLogin(t, ctx, srv.URL+"/admin#queues")
	wait := func(expr string, describe ...string) {
		t.Helper()
		webtest.WaitTrue(t, ctx, expr, 5*time.Second, describe...)
	}
	stateOf := func(kind, id string) string {
		return `JSON.stringify(sbAdmin.state.` + kind + `[` + jsString(id) + `])`
	}

	// Queue: a refused expression, then a good one, then an edit.
	const qf = "#queue-form"
	webtest.SetValue(t, ctx, qf+" input[name=id]", "es")
	webtest.SetValue(t, ctx, qf+" input[name=target_workers]", `"spanish" in skills and (level >= 2`)
	webtest.Click(t, ctx, "#queue-submit")
	fieldError(t, ctx, qf, "target_workers", "invalid expression")
	webtest.SetValue(t, ctx, qf+" input[name=target_workers]", `"spanish" in skills`)
	webtest.Click(t, ctx, "#queue-submit")
	wait(`sbAdmin.state.queues.es?.target_workers === '"spanish" in skills'`, stateOf("queues", "es"))
	webtest.Click(t, ctx, `#queues-table tr[data-queue=es] button.edit`)
	wait(`document.querySelector('`+qf+` input[name=target_workers]').value === '"spanish" in skills' && document.querySelector('`+qf+` input[name=id]').readOnly`,
		`document.querySelector('`+qf+`').innerText`)
	webtest.SetValue(t, ctx, qf+" input[name=target_workers]", `"spanish" in skills and level >= 2`)
	webtest.Click(t, ctx, "#queue-submit")
	wait(`sbAdmin.state.queues.es?.target_workers === '"spanish" in skills and level >= 2'`, stateOf("queues", "es"))

	// Agent attributes: created, edited, cleared.
	webtest.Click(t, ctx, `#section-nav a[data-section=agents]`)
	const af = "#agent-form"
	webtest.SetValue(t, ctx, af+" input[name=id]", "ana")
	webtest.SetValue(t, ctx, af+" input[name=extension]", "101")
	webtest.SetValue(t, ctx, af+" textarea[name=attributes]", `{"skills": ["spanish"], "level": 2}`)
	webtest.Click(t, ctx, "#agent-submit")
	wait(`sbAdmin.state.agents.ana?.attributes?.level === 2`, stateOf("agents", "ana"))
	webtest.Click(t, ctx, `#agents-table tr[data-agent=ana] button.edit`)
	wait(`JSON.parse(document.querySelector('`+af+` textarea[name=attributes]').value || '{}').level === 2`, `document.querySelector('`+af+` textarea[name=attributes]').value`)
	webtest.SetValue(t, ctx, af+" textarea[name=attributes]", `{"skills": ["spanish", "french"], "level": 3}`)
	webtest.Click(t, ctx, "#agent-submit")
	wait(`sbAdmin.state.agents.ana?.attributes?.level === 3 && sbAdmin.state.agents.ana.attributes.skills.length === 2`, stateOf("agents", "ana"))
	webtest.Click(t, ctx, `#agents-table tr[data-agent=ana] button.edit`)
	wait(`document.querySelector('` + af + ` textarea[name=attributes]').value.includes('french')`)
	webtest.SetValue(t, ctx, af+" textarea[name=attributes]", "")
	webtest.Click(t, ctx, "#agent-submit")
	wait(`sbAdmin.state.agents.ana?.attributes && Object.keys(sbAdmin.state.agents.ana.attributes).length === 0`, stateOf("agents", "ana"))

	// Workflow: saved, edited from its row, deleted across a poll.
	webtest.Click(t, ctx, `#section-nav a[data-section=workflows]`)
	webtest.SetValue(t, ctx, "#workflow-form textarea[name=doc]", `{"id":"wf","default_queue":"es","filters":[{"name":"es","expression":"lang == \"es\"","targets":[{"queue":"es"}]}]}`)
	webtest.Click(t, ctx, "#workflow-submit")
	row := `#workflows-table tr[data-workflow=wf]`
	webtest.WaitVisible(t, ctx, row, 0)
	webtest.Click(t, ctx, row+" button.edit")
	wait(`JSON.parse(document.querySelector('#workflow-form textarea[name=doc]').value).filters[0].expression === 'lang == "es"'`)
	webtest.Eval[bool](t, ctx, `(() => { const ta = document.querySelector('#workflow-form textarea[name=doc]'); const w = JSON.parse(ta.value); w.default_queue = 'sales'; ta.value = JSON.stringify(w); return true; })()`)
	webtest.Click(t, ctx, "#workflow-submit")
	wait(`document.querySelector('`+row+`')?.children[2].textContent === 'sales'`, `document.querySelector('#workflows-table').innerText`)
	acrossPoll := func(sel string) {
		t.Helper()
		webtest.Click(t, ctx, sel+" button.delete")
		polls := fake.count("workflow.list")
		waitFor := time.Now().Add(2500 * time.Millisecond)
		for fake.count("workflow.list") == polls { // the next poll, between the two clicks
			if time.Now().After(waitFor) {
				t.Fatal("no poll of workflow.list within 2.5 s")
			}
			time.Sleep(20 * time.Millisecond)
		}
		webtest.Click(t, ctx, sel+" button.delete")
		wait(`!document.querySelector('`+sel+`')`, `document.querySelector('#section-workflows').innerText`)
	}
	acrossPoll(row)
	if n := fake.count("workflow.delete"); n != 1 {
		t.Errorf("workflow.delete sent %d times, want 1", n)
	}

	// Activity: a custom one, deleted across a poll.
	webtest.SetValue(t, ctx, "#activity-form input[name=id]", "lunch")
	webtest.Click(t, ctx, "#activity-submit")
	webtest.WaitVisible(t, ctx, `#activities-table tr[data-activity=lunch]`, 0)
	acrossPoll(`#activities-table tr[data-activity=lunch]`)
	if n := fake.count("activity.delete"); n != 1 {
		t.Errorf("activity.delete sent %d times, want 1", n)
	}
}
