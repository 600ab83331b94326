package storetest

import (
	"errors"
	"strings"
	"testing"

	"switchboard/store"
)

// IVR menus (PROTOCOL §10): put with defaults, get, list, the targets'
// existence checked, a route ivr:menu:<id> needs the menu, and a menu in
// use by a route or another menu cannot be deleted, nor the queues and
// workflows it names.
func Menus(t *testing.T, be Backend) {
	s := be.Open(t, be.Fresh(t))
	ctx := t.Context()
	putQueues(t, s, "sales", "support")
	if _, err := s.PutWorkflow(ctx, store.Workflow{ID: "wf", Filters: []store.WorkflowFilter{{Name: "all", Targets: []store.WorkflowTarget{{Queue: "support"}}}}}); err != nil {
		t.Fatal(err)
	}
	sub := store.Menu{ID: "sub", Prompt: "p-sub", Options: map[string]store.MenuOption{"1": {Target: "workflow:wf"}, "9": {Target: "ivr:menu:sub"}}}
	got, err := s.PutMenu(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "sub" || got.TimeoutSeconds != store.DefaultMenuTimeoutSeconds || got.Retries != store.DefaultMenuRetries {
		t.Errorf("PutMenu defaults = %+v", got)
	}
	main := store.Menu{ID: "main", Name: "Main", Prompt: "p-main", TimeoutSeconds: 4, Retries: 2, Fallback: "queue:sales",
		Options: map[string]store.MenuOption{"1": {Target: "queue:sales", Attributes: map[string]any{"dept": "sales"}}, "2": {Target: "ivr:menu:sub"}, "#": {Target: "extension:1001"}}}
	if _, err := s.PutMenu(ctx, main); err != nil {
		t.Fatal(err)
	}
	m, err := s.GetMenu(ctx, "main")
	if err != nil || m.Options["1"].Attributes["dept"] != "sales" || m.Fallback != "queue:sales" || m.TimeoutSeconds != 4 || m.Retries != 2 || len(m.Options) != 3 {
		t.Errorf("GetMenu = %+v, %v", m, err)
	}
	if _, err := s.GetMenu(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetMenu(nope) = %v", err)
	}
	ms, err := s.ListMenus(ctx)
	if err != nil || len(ms) != 2 || ms[0].ID != "main" || ms[1].ID != "sub" {
		t.Errorf("ListMenus = %+v, %v", ms, err)
	}
	for _, tt := range []struct {
		name   string
		m      store.Menu
		field  string
		reason string
	}{
		{"unknown queue", store.Menu{ID: "x", Prompt: "p", Options: map[string]store.MenuOption{"1": {Target: "queue:nope"}}}, "options.1.target", "unknown queue nope"},
		{"unknown workflow", store.Menu{ID: "x", Prompt: "p", Options: map[string]store.MenuOption{"1": {Target: "workflow:nope"}}}, "options.1.target", "unknown workflow nope"},
		{"unknown menu", store.Menu{ID: "x", Prompt: "p", Options: map[string]store.MenuOption{"1": {Target: "ivr:menu:nope"}}}, "options.1.target", "unknown menu nope"},
		{"unknown fallback", store.Menu{ID: "x", Prompt: "p", Options: map[string]store.MenuOption{"1": {Target: "queue:sales"}}, Fallback: "queue:nope"}, "fallback", "unknown queue nope"},
		{"echo", store.Menu{ID: "x", Prompt: "p", Options: map[string]store.MenuOption{"1": {Target: "echo"}}}, "options.1.target", "echo is not a menu target"},
		{"bad target", store.Menu{ID: "x", Prompt: "p", Options: map[string]store.MenuOption{"1": {Target: "voicemail"}}}, "options.1.target", "must be queue:<id>"},
		{"two digits", store.Menu{ID: "x", Prompt: "p", Options: map[string]store.MenuOption{"12": {Target: "queue:sales"}}}, "options", "one digit"},
		{"no options", store.Menu{ID: "x", Prompt: "p"}, "options", "at least one"},
		{"no prompt", store.Menu{ID: "x", Options: map[string]store.MenuOption{"1": {Target: "queue:sales"}}}, "prompt", "required"},
		{"bad id", store.Menu{ID: "X Y", Prompt: "p", Options: map[string]store.MenuOption{"1": {Target: "queue:sales"}}}, "id", "must match"},
		{"timeout", store.Menu{ID: "x", Prompt: "p", TimeoutSeconds: 99, Options: map[string]store.MenuOption{"1": {Target: "queue:sales"}}}, "timeout_seconds", "out of range"},
		{"retries", store.Menu{ID: "x", Prompt: "p", Retries: -1, Options: map[string]store.MenuOption{"1": {Target: "queue:sales"}}}, "retries", "out of range"},
		{"channel attribute", store.Menu{ID: "x", Prompt: "p", Options: map[string]store.MenuOption{"1": {Target: "queue:sales", Attributes: map[string]any{"channel": "chat"}}}}, "options.1.attributes", "channel"},
		{"big attributes", store.Menu{ID: "x", Prompt: "p", Options: map[string]store.MenuOption{"1": {Target: "queue:sales", Attributes: map[string]any{"x": strings.Repeat("a", 5000)}}}}, "options.1.attributes", "at most"},
	} {
		_, err := s.PutMenu(ctx, tt.m)
		var ve *store.ValidationError
		if !errors.As(err, &ve) || ve.Field != tt.field || !strings.Contains(ve.Reason, tt.reason) {
			t.Errorf("%s: PutMenu = %v, want field %s with %q", tt.name, err, tt.field, tt.reason)
		}
	}
	if _, err := s.PutRoute(ctx, store.Route{Number: "5000", Target: "ivr:menu:nope"}); err == nil || !strings.Contains(err.Error(), "unknown menu nope") {
		t.Errorf("route to an unknown menu = %v", err)
	}
	if _, err := s.PutRoute(ctx, store.Route{Number: "5000", Target: "ivr:menu:main"}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		del    func() error
		reason string
	}{
		{func() error { return s.DeleteMenu(ctx, "main") }, "menu main is used by route 5000"},
		{func() error { return s.DeleteMenu(ctx, "sub") }, "menu sub is used by menu main"},
		{func() error { return s.DeleteWorkflow(ctx, "wf") }, "workflow wf is used by menu sub"},
		{func() error { return s.DeleteQueue(ctx, "sales") }, "menu main"},
	} {
		if err := tt.del(); !errors.Is(err, store.ErrInUse) || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("delete = %v, want in use: %q", err, tt.reason)
		}
	}
	if err := s.DeleteRoute(ctx, "5000"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteMenu(ctx, "main"); err != nil {
		t.Fatalf("DeleteMenu(main) after its route went = %v", err)
	}
	if err := s.DeleteMenu(ctx, "sub"); err != nil { // names only itself now
		t.Fatalf("DeleteMenu(sub) = %v", err)
	}
	if err := s.DeleteMenu(ctx, "sub"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteMenu = %v", err)
	}
}
