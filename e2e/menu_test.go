package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// PROTOCOL §10 against the binary: an IVR menu. A prompt is uploaded as a
// 16 kHz WAV (401 without the admin token, 400 for a bad file) and
// resampled; the caller of an ivr:menu:<id> route hears it (Goertzel), a
// digit with no option (RFC 4733) re-prompts and the prompt plays again,
// then "2" reaches the support queue's agent, whose reservation carries
// the option's attributes and ivr: {main: "2"}; both sides hear each
// other.
func TestIVRMenuChoiceE2E(t *testing.T) {
	t.Parallel()
	const promptHz = 700.0
	g := startGW(t)
	g.seed(t, []map[string]any{{"id": "sales", "name": "Sales"}, {"id": "support", "name": "Support"}},
		[]agentSpec{{ID: "a1", Ext: "1001", Queues: []string{"sales"}}, {ID: "a2", Ext: "1002", Queues: []string{"support"}}}, nil)
	wav := wavTone(promptHz, 2) // 16 kHz
	if code, _, _ := httpDo(t, "PUT", g.HTTP+"/api/prompts/main-prompt", "", wav, nil); code != http.StatusUnauthorized {
		t.Errorf("PUT prompt without a token = %d, want 401", code)
	}
	if code, b, _ := httpDo(t, "PUT", g.HTTP+"/api/prompts/main-prompt", g.Token, []byte("not a wav"), nil); code != http.StatusBadRequest || !strings.Contains(string(b), "wav") {
		t.Errorf("PUT a bad WAV = %d %s, want 400", code, b)
	}
	code, b, _ := httpDo(t, "PUT", g.HTTP+"/api/prompts/main-prompt", g.Token, wav, nil)
	var p struct {
		ID      string  `json:"id"`
		Seconds float64 `json:"seconds"`
	}
	if code != 200 || json.Unmarshal(b, &p) != nil || p.ID != "main-prompt" || p.Seconds < 1.95 || p.Seconds > 2.05 {
		t.Fatalf("PUT prompt = %d %s", code, b)
	}
	adm := g.admin(t)
	var ps []map[string]any
	adm.MustCall("prompt.list", nil, &ps)
	if len(ps) != 1 || ps[0]["id"] != "main-prompt" {
		t.Errorf("prompt.list = %v", ps)
	}
	if err := adm.Call(t.Context(), "menu.put", map[string]any{"id": "main", "prompt": "nope", "options": map[string]any{"1": map[string]any{"target": "queue:sales"}}}, nil); err == nil || !strings.Contains(err.Error(), "unknown prompt") {
		t.Errorf("menu.put with an unknown prompt = %v", err)
	}
	adm.MustCall("menu.put", map[string]any{"id": "main", "prompt": "main-prompt", "timeout_seconds": 5, "retries": 3, "fallback": "queue:sales",
		"options": map[string]any{
			"1": map[string]any{"target": "queue:sales", "attributes": map[string]any{"dept": "sales"}},
			"2": map[string]any{"target": "queue:support", "attributes": map[string]any{"dept": "support"}},
		}}, nil)
	adm.MustCall("route.put", map[string]string{"number": "5040", "target": "ivr:menu:main"}, nil)
	if err := adm.Call(t.Context(), "prompt.delete", map[string]string{"id": "main-prompt"}, nil); err == nil || !strings.Contains(err.Error(), "used by menu main") {
		t.Errorf("prompt.delete of a prompt in use = %v", err)
	}
	a1 := g.login(t, "a1", toneAgent)
	a2 := g.login(t, "a2", toneAgent2)
	c := g.dial(t, "5040", 0)
	hears(t, "menu caller (uploaded prompt)", c.classify, promptHz)
	c.sendDTMF(t, "9")
	waitFor(t, 10*time.Second, "the wrong digit logged", func() bool {
		return g.Logged(`"msg":"ivr menu entry"`, `"digit":"9"`, `"valid":false`, `"try":1`)
	})
	hears(t, "menu caller (prompt again after a wrong digit)", c.classify, promptHz)
	c.sendDTMF(t, "2")
	res := a2.offer(t)
	attrs, _ := res["attributes"].(map[string]any)
	ivr, _ := attrs["ivr"].(map[string]any)
	if res["queue"] != "support" || attrs["dept"] != "support" || ivr["main"] != "2" || attrs["channel"] != "voice" || attrs["number"] != "5040" {
		t.Fatalf("reservation %v", res)
	}
	a1.noOffer(t, time.Second)
	a2.WS.MustCall("reservation.accept", map[string]string{"reservation": res["id"].(string)}, nil)
	c.RTP.PlayTone(toneCaller1)
	talking(t, "menu call", c, toneCaller1, a2)
}
