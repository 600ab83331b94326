package adminui

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/web/webtest"
)

// trunk serves trunk.put/list/delete from memory (PROTOCOL §9): host is
// required on create, the password is kept but never returned, and the
// status says "registering" for register: true.
func (f *fakeConsole) trunk(method string, p map[string]any) (any, *rpcError, map[string]any) {
	id, _ := p["id"].(string)
	switch method {
	case "trunk.put":
		if !idRE.MatchString(id) {
			return nil, invalid("id: must match [a-z0-9._-]{1,64}"), nil
		}
		cur := f.trunks[id]
		if cur == nil {
			if h, _ := p["host"].(string); h == "" {
				return nil, invalid("host: required"), nil
			}
			cur = map[string]any{"id": id, "transport": "udp", "srtp": "off", "prefixes": []any{}, "allow": []any{}}
		}
		for k, v := range p {
			cur[k] = v
		}
		st := map[string]any{"registration": "disabled", "active_calls": 0, "calls_in": 0, "calls_out": 0}
		if cur["register"] == true {
			st["registration"] = "registering"
		}
		cur["status"] = st
		f.trunks[id] = cur
		return public(cur), nil, nil
	case "trunk.delete":
		if f.trunks[id] == nil {
			return nil, &rpcError{Code: -32002, Message: "not found", Data: map[string]any{"reason": "trunk " + id + ": not found"}}, nil
		}
		delete(f.trunks, id)
		return map[string]any{}, nil, nil
	}
	out := []any{}
	for _, k := range slices.Sorted(maps.Keys(f.trunks)) {
		out = append(out, public(f.trunks[k]))
	}
	return out, nil, nil
}

func public(t map[string]any) map[string]any {
	c := maps.Clone(t)
	_, had := c["password"]
	delete(c, "password")
	c["has_password"] = had
	return c
}

// TestConsoleTrunks drives the Trunks section: a trunk without host is
// refused with the reason shown; a registering trunk with prefixes is saved
// (the password goes to the console, never back) and listed with its live
// registration status; it is deleted.
func TestConsoleTrunks(t *testing.T) {
	ctx, srv, fake := startConsole(t)
	wait := func(expr string) {
		t.Helper()
		webtest.WaitTrue(t, ctx, expr, 5*time.Second, `document.querySelector('#section-trunks').innerText`)
	}
	adminLogin(t, ctx, srv.URL+"/admin")

	webtest.SetValue(t, ctx, `#trunk-form input[name=id]`, "carrier-b")
	webtest.Click(t, ctx, "#trunk-submit")
	wait(`document.querySelector('#trunk-form [data-form=trunk]').innerText.includes('host: required')`)

	webtest.SetValue(t, ctx, `#trunk-form input[name=host]`, "sip.carrier.example")
	webtest.SetValue(t, ctx, `#trunk-form input[name=username]`, "acct")
	webtest.SetValue(t, ctx, `#trunk-form input[name=password]`, "pw-secret")
	webtest.Click(t, ctx, `#trunk-form input[name=register]`)
	webtest.SetValue(t, ctx, `#trunk-form input[name=prefixes]`, "+49, 0049")
	webtest.SetValue(t, ctx, `#trunk-form input[name=priority]`, "2")
	webtest.SetValue(t, ctx, `#trunk-form input[name=caller_id]`, "+4930123")
	webtest.Click(t, ctx, "#trunk-submit")
	row := `#trunks-table tr[data-trunk="carrier-b"]`
	wait(`!!document.querySelector('` + row + `')`)
	wait(`document.querySelector('` + row + `').children[5].dataset.registration === 'registering'`)
	got := webtest.Eval[string](t, ctx, `document.querySelector('`+row+`').innerText`)
	for _, want := range []string{"sip.carrier.example:5060/udp", "+49, 0049", "+4930123", "registering", "0 / 0 / 0"} {
		if !strings.Contains(got, want) {
			t.Errorf("trunk row %q lacks %q", got, want)
		}
	}
	fake.mu.Lock()
	stored := maps.Clone(fake.trunks["carrier-b"])
	fake.mu.Unlock()
	if stored["password"] != "pw-secret" || stored["register"] != true || stored["priority"] != 2.0 {
		t.Errorf("trunk.put sent %v", stored)
	}
	if webtest.Eval[bool](t, ctx, `JSON.stringify(window.sbAdmin.trunks.list).includes('pw-secret')`) {
		t.Error("the page holds the password after listing")
	}

	_ = webtest.Eval[bool](t, ctx, `(window.confirm = () => true, true)`)
	webtest.Click(t, ctx, row+` button[data-testid=trunk-delete]`)
	wait(`!document.querySelector('` + row + `')`)
}
