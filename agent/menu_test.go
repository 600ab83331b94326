package agent

import (
	"testing"

	"switchboard/events"
	"switchboard/media"
	"switchboard/store"
)

const freqPromptMenu = 700

type fakePrompts map[string]*media.Clip

func (f fakePrompts) Clip(id string) *media.Clip { return f[id] }

func menuHarness(t *testing.T, fallback string) *harness {
	t.Helper()
	h := newHarness(t, func(s *setup) {
		s.routes = append(s.routes, store.Route{Number: "8000", Target: "ivr:menu:m"})
		s.cfg = func(c *Config) { c.PromptLib = fakePrompts{"p": toneClip(freqPromptMenu)} }
	})
	h.c.ApplyMenu(store.Menu{ID: "m", Prompt: "p", TimeoutSeconds: 1, Retries: 2, Fallback: fallback,
		Options: map[string]store.MenuOption{"1": {Target: "queue:support", Attributes: map[string]any{"dept": "support"}}}})
	return h
}

// menuCall logs a1 in and places a call to the menu, once the caller
// hears its prompt.
func menuCall(t *testing.T, fallback string) (*harness, *agentH, *fakeCall) {
	t.Helper()
	h := menuHarness(t, fallback)
	a1 := h.login("a1")
	fc := h.call("8000", freqCaller1)
	h.heardTone(fc, freqPromptMenu, "menu prompt")
	return h, a1, fc
}

// IVR menus (PROTOCOL §10): the uploaded prompt plays; a valid digit
// routes with the option's attributes and ivr {menu: digit}; a wrong digit
// plays the invalid prompt and the menu prompt again; after retries the
// fallback target takes the call, or goodbye and BYE without one.
func TestMenu(t *testing.T) {
	t.Run("valid digit", func(t *testing.T) {
		h, a1, fc := menuCall(t, "")
		fc.press("1")
		rv := h.nextOffer(a1)
		ivr, _ := rv.Attributes["ivr"].(map[string]any)
		if rv.Queue != "support" || rv.Attributes["dept"] != "support" || ivr["m"] != "1" {
			t.Errorf("offer %+v", rv)
		}
	})
	t.Run("wrong digit, then silence, then the fallback", func(t *testing.T) {
		h, a1, fc := menuCall(t, "queue:sales")
		fc.press("5")
		h.heardTone(fc, freqPromptInvalid, "not valid")
		h.heardTone(fc, freqPromptMenu, "menu prompt again")
		rv := h.nextOffer(a1) // the second try times out: fallback queue:sales
		if rv.Queue != "sales" || rv.Attributes["ivr"] != nil {
			t.Errorf("fallback offer %+v", rv)
		}
	})
	t.Run("no fallback: goodbye", func(t *testing.T) {
		h, a1, fc := menuCall(t, "")
		h.heardTone(fc, freqPromptGoodbye, "goodbye after two silent tries")
		h.waitFor("BYE", func() bool { return fc.snap().hangups == 1 })
		h.noOffer(a1)
		if e := h.waitEvent(events.CallEnded, nil); e.Reason != "ivr_failed" {
			t.Errorf("call.ended reason %q", e.Reason)
		}
	})
}
