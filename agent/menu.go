package agent

import (
	"context"
	"maps"
	"strings"
	"time"

	"switchboard/media"
	"switchboard/router"
	"switchboard/store"
)

// IVR menus (PROTOCOL §10, route target ivr:menu:<id>): the caller is
// answered and hears the menu's prompt; one digit (RFC 4733 or SIP INFO;
// a digit during the prompt stops it) picks an option. The option's
// attributes and {ivr: {menu id: digit}} join the call's attributes, and
// the call goes to the option's target (a queue, a workflow, an extension,
// the extension IVR or another menu). A digit with no option, or none
// within timeout_seconds after the prompt, plays "that choice is not
// valid" and the prompt again; after retries tries the call goes to the
// fallback target, or hears the goodbye announcement and BYE.

// PromptClips gives the uploaded prompts (media/promptlib.Library).
type PromptClips interface {
	Clip(id string) *media.Clip
}

// maxMenuHops bounds menus leading to menus in one call.
const maxMenuHops = 16

// ApplyMenu creates or replaces a menu; calls in it go on with the old one.
func (c *Core) ApplyMenu(m store.Menu) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.menus[m.ID] = m
}

// RemoveMenu deletes a menu; a call that reaches it hears the goodbye.
func (c *Core) RemoveMenu(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.menus, id)
}

// promptClip is the menu's prompt, or the built-in extension prompt when
// it is missing (logged).
func (c *Core) promptClip(m store.Menu) *media.Clip {
	if c.cfg.PromptLib != nil {
		if clip := c.cfg.PromptLib.Clip(m.Prompt); clip != nil {
			return clip
		}
	}
	c.log.Warn("menu prompt missing", "menu", m.ID, "prompt", m.Prompt)
	return c.cfg.Prompts.Extension
}

// collectDigit waits for one digit: it returns 0 when timeout passes after
// the prompt has played without one. ok is false when the call ended.
func collectDigit(ctx context.Context, digits <-chan rune, done, prompt <-chan struct{}, timeout time.Duration) (d rune, ok bool) {
	var expired <-chan time.Time
	for {
		select {
		case <-prompt:
			prompt = nil
			t := time.NewTimer(timeout)
			defer t.Stop()
			expired = t.C
		case d := <-digits:
			return d, true
		case <-expired:
			return 0, true
		case <-done:
			return 0, false
		case <-ctx.Done():
			return 0, false
		}
	}
}

// runMenu answers the call and runs menu id (and the menus it leads to).
func (c *Core) runMenu(ctx context.Context, cl *call, id string) {
	if err := c.answer(ctx, cl); err != nil {
		return
	}
	digits := make(chan rune, 16)
	c.locked(func() { cl.digits = digits })
	defer c.locked(func() {
		if cl.digits == digits {
			cl.digits = nil
		}
	})
	done := cl.tc.Done()
	for range maxMenuHops {
		m, ok := locked2(c, func() (store.Menu, bool) { m, ok := c.menus[id]; return m, ok })
		if !ok {
			c.log.Warn("menu missing", "call", cl.id, "menu", id)
			break
		}
		target, ok := c.menuChoice(ctx, cl, m, digits, done)
		if !ok {
			return
		}
		if target == "" {
			break
		}
		next, isMenu := strings.CutPrefix(target, "ivr:menu:")
		if !isMenu {
			if target == "ivr:extension" {
				c.extensionIVR(ctx, cl, digits)
				return
			}
			c.locked(func() { c.menuRouteLocked(cl, parseTarget(target)) })
			return
		}
		id = next
	}
	c.locked(func() {
		if !cl.ended {
			cl.outcome = "ivr_failed"
			c.announceAndHangupLocked(cl, c.cfg.Prompts.Goodbye, "ivr_failed")
		}
	})
}

// menuChoice runs one menu: the chosen option's target (its attributes
// merged into the call's), the fallback after the last try, or "" (no
// fallback). ok is false when the call ended.
func (c *Core) menuChoice(ctx context.Context, cl *call, m store.Menu, digits chan rune, done <-chan struct{}) (string, bool) {
	timeout := time.Duration(m.TimeoutSeconds) * time.Second
	prompt := c.promptClip(m)
	choice := c.cfg.Prompts.Choice
	if choice == nil { // a Prompts set made before the menu prompt existed
		choice = c.cfg.Prompts.Invalid
	}
	for try := range m.Retries {
		if try > 0 {
			played, ok := c.playClip(cl, choice)
			if !ok {
				return "", false
			}
			select {
			case <-played:
			case <-done:
				return "", false
			case <-ctx.Done():
				return "", false
			}
		}
		played, ok := c.playClip(cl, prompt)
		if !ok {
			return "", false
		}
		d, ok := collectDigit(ctx, digits, done, played, timeout)
		if !ok {
			return "", false
		}
		opt, valid := m.Options[string(d)]
		c.log.Info("ivr menu entry", "call", cl.id, "menu", m.ID, "digit", string(d), "valid", valid, "try", try+1)
		ended := false
		c.locked(func() {
			ended = cl.ended
			if ended || !valid {
				return
			}
			c.stopPlayerLocked(cl)
			if cl.attrs == nil {
				cl.attrs = cl.attributes()
			}
			maps.Copy(cl.attrs, opt.Attributes)
			ivr, _ := cl.attrs["ivr"].(map[string]any)
			ivr = maps.Clone(ivr)
			if ivr == nil {
				ivr = map[string]any{}
			}
			ivr[m.ID] = string(d)
			cl.attrs["ivr"] = ivr
		})
		if ended {
			return "", false
		}
		if valid {
			return opt.Target, true
		}
	}
	c.locked(func() { c.stopPlayerLocked(cl) })
	return m.Fallback, true
}

// menuRouteLocked hands a menu's call to its chosen queue, workflow or
// extension.
func (c *Core) menuRouteLocked(cl *call, t target) {
	if cl.ended {
		return
	}
	switch t.kind {
	case "queue":
		cl.kind, cl.queue = "queue", t.queue
		c.playLocked(cl, c.cfg.Music.Source())
		c.addTaskLocked(cl, router.Task{Kind: router.KindQueue, Queue: router.QueueID(t.queue), Attributes: cl.attrs})
	case "workflow":
		cl.kind = "queue"
		c.playLocked(cl, c.cfg.Music.Source())
		c.addTaskLocked(cl, router.Task{Kind: router.KindQueue, Workflow: router.WorkflowID(t.workflow), Attributes: cl.attrs})
	case "direct":
		cl.kind, cl.dialled = "direct", t.ext
		c.playLocked(cl, media.Ringback())
		c.addTaskLocked(cl, router.Task{Kind: router.KindDirect, TargetExtension: t.ext})
	default:
		cl.outcome = "ivr_failed"
		c.announceAndHangupLocked(cl, c.cfg.Prompts.Goodbye, "ivr_failed")
	}
}
