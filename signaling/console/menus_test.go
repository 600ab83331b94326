package console_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"switchboard/media/promptlib"
	"switchboard/signaling/console"
	"switchboard/signaling/ws"
	"switchboard/store"
)

// menuApplier records menu changes (console.MenuApplier) beside the rest.
type menuApplier struct{ fakeApplier }

func (f *menuApplier) ApplyMenu(m store.Menu) { f.add(fmt.Sprintf("menu %s %s", m.ID, m.Prompt)) }
func (f *menuApplier) RemoveMenu(id string)   { f.add("-menu " + id) }

// silentWAV is secs of silence as an 8 kHz mono 16-bit WAV.
func silentWAV(secs float64) []byte {
	n := int(8000 * secs)
	var b bytes.Buffer
	w := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	w(uint32(36 + 2*n))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(8000), uint32(16000), uint16(2), uint16(16)} {
		w(v)
	}
	b.WriteString("data")
	w(uint32(2 * n))
	w(make([]int16, n))
	return b.Bytes()
}

// menuEnv is a console with a prompt library, a menu-aware applier and
// the prompt upload handler.
func menuEnv(t *testing.T) (*env, *menuApplier, *httptest.Server) {
	t.Helper()
	lib, err := promptlib.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ma := &menuApplier{}
	e := newEnv(t, func(c *console.Config) { c.Prompts = lib; c.Applier = ma })
	up := httptest.NewServer(console.PromptAPI(lib))
	t.Cleanup(up.Close)
	return e, ma, up
}

func putPrompt(t *testing.T, srv *httptest.Server, id string, body io.Reader) (int, string) {
	t.Helper()
	code, b, _ := httpDo(t, http.MethodPut, srv.URL+"/api/prompts/"+id, body)
	return code, string(b)
}

// TestMenusAndPrompts (PROTOCOL §10, docs §K "IVR menus and prompts"):
// upload, list, menu.put/get/list with defaults, the applier told, and the
// refusals: a prompt in use -32003, a menu a route names (in use), an
// unknown prompt or target -32602 naming the field, unknown ids -32002.
func TestMenusAndPrompts(t *testing.T) {
	e, ma, up := menuEnv(t)
	c := e.admin()

	code, body := putPrompt(t, up, "welcome", bytes.NewReader(silentWAV(1)))
	var p promptlib.Prompt
	if code != http.StatusOK || json.Unmarshal([]byte(body), &p) != nil || p.ID != "welcome" || p.Seconds != 1 {
		t.Fatalf("PUT prompt = %d %s, want 200 {welcome, 1}", code, body)
	}
	var ps []promptlib.Prompt
	c.MustCall("prompt.list", nil, &ps)
	if len(ps) != 1 || ps[0].ID != "welcome" {
		t.Fatalf("prompt.list = %+v", ps)
	}

	c.MustCall("queue.put", map[string]any{"id": "sales"}, nil)
	in := map[string]any{"id": "main", "prompt": "welcome", "options": map[string]any{
		"1": map[string]any{"target": "queue:sales", "attributes": map[string]any{"dept": "sales"}},
		"#": map[string]any{"target": "ivr:menu:main"},
	}}
	var m store.Menu
	c.MustCall("menu.put", in, &m)
	if m.Name != "main" || m.TimeoutSeconds != store.DefaultMenuTimeoutSeconds || m.Retries != store.DefaultMenuRetries || m.Options["1"].Attributes["dept"] != "sales" {
		t.Errorf("menu.put = %+v, want the defaults filled in", m)
	}
	var got store.Menu
	c.MustCall("menu.get", map[string]string{"id": "main"}, &got)
	if got.Prompt != "welcome" || len(got.Options) != 2 || got.Options["#"].Target != "ivr:menu:main" {
		t.Errorf("menu.get = %+v", got)
	}
	var ms []store.Menu
	c.MustCall("menu.list", nil, &ms)
	if len(ms) != 1 || ms[0].ID != "main" {
		t.Errorf("menu.list = %+v", ms)
	}
	if a := strings.Join(ma.take(), "|"); !strings.Contains(a, "menu main welcome") {
		t.Errorf("applier %q, want the menu applied", a)
	}

	// In use: the prompt by the menu, the menu by a route; nothing removed.
	wantErr(t, c, "prompt.delete", map[string]string{"id": "welcome"}, ws.CodeConflict, "prompt welcome is used by menu main")
	c.MustCall("route.put", map[string]string{"number": "5040", "target": "ivr:menu:main"}, nil)
	wantErr(t, c, "menu.delete", map[string]string{"id": "main"}, ws.CodeInvalidParams, "id: menu main is used by route 5040")
	wantErr(t, c, "queue.delete", map[string]string{"id": "sales"}, ws.CodeInvalidParams, "id: queue sales is used by")
	c.MustCall("prompt.list", nil, &ps)
	c.MustCall("menu.list", nil, &ms)
	if len(ps) != 1 || len(ms) != 1 {
		t.Fatalf("after refused deletes: prompts %+v menus %+v", ps, ms)
	}
	if a := ma.take(); len(a) != 1 || a[0] != "route 5040 ivr:menu:main" {
		t.Errorf("applier after refused deletes %q, want the route only", a)
	}

	// Then they go, in order, and unknown ids are -32002.
	c.MustCall("route.delete", map[string]string{"number": "5040"}, nil)
	c.MustCall("menu.delete", map[string]string{"id": "main"}, nil)
	wantErr(t, c, "menu.get", map[string]string{"id": "main"}, ws.CodeNotFound, "menu main")
	wantErr(t, c, "menu.delete", map[string]string{"id": "main"}, ws.CodeNotFound, "menu main")
	c.MustCall("prompt.delete", map[string]string{"id": "welcome"}, nil)
	wantErr(t, c, "prompt.delete", map[string]string{"id": "welcome"}, ws.CodeNotFound, "welcome")
	c.MustCall("prompt.list", nil, &ps)
	if len(ps) != 0 {
		t.Errorf("prompt.list after delete = %+v", ps)
	}
	if a := strings.Join(ma.take(), "|"); !strings.Contains(a, "-menu main") {
		t.Errorf("applier %q, want the menu removed", a)
	}
}

// TestMenuValidation: every bad menu.* / prompt.* param is -32602 with the
// field first in the reason (the console page shows it by that field), and
// nothing is stored or applied.
func TestMenuValidation(t *testing.T) {
	e, ma, up := menuEnv(t)
	c := e.admin()
	if code, body := putPrompt(t, up, "welcome", bytes.NewReader(silentWAV(1))); code != http.StatusOK {
		t.Fatalf("PUT prompt = %d %s", code, body)
	}
	c.MustCall("queue.put", map[string]any{"id": "sales"}, nil)
	ma.take()
	opt := `"options":{"1":{"target":"queue:sales"}}`
	tests := []struct{ method, params, reason string }{
		{"menu.put", `{"prompt":"welcome",` + opt + `}`, "id: required"},
		{"menu.put", `{"id":"Main!","prompt":"welcome",` + opt + `}`, "id: "},
		{"menu.put", `{"id":"m",` + opt + `}`, "prompt: required"},
		{"menu.put", `{"id":"m","prompt":"nope",` + opt + `}`, "prompt: unknown prompt nope (upload it with PUT /api/prompts/nope)"},
		{"menu.put", `{"id":"m","prompt":"welcome"}`, "options: at least one option"},
		{"menu.put", `{"id":"m","prompt":"welcome","options":{"12":{"target":"queue:sales"}}}`, "options: key \"12\" must be one digit of 0123456789*#"},
		{"menu.put", `{"id":"m","prompt":"welcome","options":{"1":{"target":"queue:nope"}}}`, "options.1.target: unknown queue nope"},
		{"menu.put", `{"id":"m","prompt":"welcome","options":{"1":{"target":"echo"}}}`, "options.1.target: echo is not a menu target"},
		{"menu.put", `{"id":"m","prompt":"welcome","options":{"1":{"target":"voicemail"}}}`, "options.1.target: "},
		{"menu.put", `{"id":"m","prompt":"welcome","options":{"1":{"target":"ivr:menu:other"}}}`, "options.1.target: unknown menu other"},
		{"menu.put", `{"id":"m","prompt":"welcome","options":{"1":{"target":"queue:sales","attributes":{"channel":"chat"}}}}`, "options.1.attributes: channel cannot be set by a menu"},
		{"menu.put", `{"id":"m","prompt":"welcome",` + opt + `,"timeout_seconds":61}`, "timeout_seconds: 61 out of range 1..60"},
		{"menu.put", `{"id":"m","prompt":"welcome",` + opt + `,"timeout_seconds":-1}`, "timeout_seconds: -1 out of range"},
		{"menu.put", `{"id":"m","prompt":"welcome",` + opt + `,"retries":11}`, "retries: 11 out of range 1..10"},
		{"menu.put", `{"id":"m","prompt":"welcome",` + opt + `,"fallback":"queue:nope"}`, "fallback: unknown queue nope"},
		{"menu.put", `{"id":"m","prompt":"welcome",` + opt + `,"retries":"3"}`, "retries: "},
		{"menu.get", `{}`, "id: required"},
		{"menu.delete", `{}`, "id: required"},
		{"prompt.delete", `{}`, "id: required"},
	}
	for i, tt := range tests {
		t.Run(tt.method+" "+tt.params, func(t *testing.T) { wantInvalidRaw(t, c, 2000+i, tt.method, tt.params, tt.reason) })
	}
	var ms []store.Menu
	c.MustCall("menu.list", nil, &ms)
	if len(ms) != 0 {
		t.Errorf("menus after invalid puts: %+v", ms)
	}
	if a := ma.take(); len(a) != 0 {
		t.Errorf("applier called for invalid writes: %q", a)
	}
}

// TestPromptAPIErrors: PUT /api/prompts/<id> answers a bad id or WAV and a
// length out of range 400, a body over 32 MiB 413 (without reading it
// all), each with the task API's JSON error; nothing is stored.
func TestPromptAPIErrors(t *testing.T) {
	e, _, up := menuEnv(t)
	c := e.admin()
	tests := []struct {
		name, id string
		body     io.Reader
		code     int
		reason   string
	}{
		{"bad id", "Bad!", bytes.NewReader(silentWAV(1)), 400, "id must match"},
		{"not a wav", "p1", strings.NewReader("not a wav"), 400, "wav"},
		{"too short", "p1", bytes.NewReader(silentWAV(0.1)), 400, "0.10 s long"},
		{"too long", "p1", bytes.NewReader(silentWAV(121)), 400, "121.00 s long"},
		{"too large", "p1", io.LimitReader(zeros{}, promptlib.MaxUploadBytes+1), 413, "body: larger than 32 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := putPrompt(t, up, tt.id, tt.body)
			var out struct {
				Error struct {
					Code int `json:"code"`
					Data struct {
						Reason string `json:"reason"`
					} `json:"data"`
				} `json:"error"`
			}
			if code != tt.code || json.Unmarshal([]byte(body), &out) != nil || out.Error.Code != ws.CodeInvalidParams || !strings.Contains(strings.ToLower(out.Error.Data.Reason), strings.ToLower(tt.reason)) {
				t.Errorf("PUT %s = %d %s, want %d with reason containing %q", tt.id, code, body, tt.code, tt.reason)
			}
		})
	}
	var ps []promptlib.Prompt
	c.MustCall("prompt.list", nil, &ps)
	if len(ps) != 0 {
		t.Errorf("prompts after refused uploads: %+v", ps)
	}
}

// zeros reads as endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
