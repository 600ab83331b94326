package agent

import (
	"context"
	"time"

	"switchboard/media"
	"switchboard/router"
)

// IVR (PROTOCOL.md section 5, route target "ivr:extension"): the caller is
// answered, hears a prompt and enters an extension by DTMF (RFC 4733 or SIP
// INFO). Four digits, or '#' after at least one, submit. Fewer digits or
// nothing within the digit timeout, or an unknown extension, re-prompt;
// after three tries the caller hears the goodbye announcement and BYE. A
// known extension becomes a direct call: ringback until the agent accepts,
// the fallback announcement if it cannot.

// ivrTries is how many times the IVR asks before giving up.
const ivrTries = 3

// ivrDigits is how many digits submit without '#'.
const ivrDigits = 4

// collect gathers one entry: it returns when ivrDigits digits are in, on
// '#', or when timeout passes without a digit. The timeout starts when the
// prompt has played (prompt closed) or at the first digit, whichever comes
// first. ok is false when the call ended.
func collect(ctx context.Context, digits <-chan rune, done, prompt <-chan struct{}, timeout time.Duration) (entry string, ok bool) {
	var got []rune
	var timer *time.Timer
	var expired <-chan time.Time
	restart := func() {
		if timer == nil {
			timer = time.NewTimer(timeout)
			expired = timer.C
		} else {
			timer.Reset(timeout)
		}
	}
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-prompt:
			prompt = nil
			restart()
		case d := <-digits:
			prompt = nil
			if d == '#' {
				return string(got), true
			}
			if d < '0' || d > '9' {
				restart()
				continue
			}
			got = append(got, d)
			if len(got) == ivrDigits {
				return string(got), true
			}
			restart()
		case <-expired:
			return string(got), true
		case <-done:
			return "", false
		case <-ctx.Done():
			return "", false
		}
	}
}

// runIVR answers the call and runs the extension menu. When the caller
// picks a reachable extension it returns with the call handed to the router
// as a direct task; in every other case the call is ended (or ending).
// playClip plays clip to the caller unless the call has ended (ok false).
func (c *Core) playClip(cl *call, clip *media.Clip) (played <-chan struct{}, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl.ended {
		return nil, false
	}
	return c.playClipLocked(cl, clip), true
}

// ivrEntry acts on a collected entry; it reports whether the IVR is over
// (the call ended, or it goes to the extension).
func (c *Core) ivrEntry(cl *call, entry string, try int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl.ended {
		return true
	}
	c.stopPlayerLocked(cl)
	_, known := c.byExt[entry]
	c.log.Info("ivr entry", "call", cl.id, "entry", entry, "known", known, "try", try+1)
	if known && len(entry) >= 2 {
		cl.dialled = entry
		c.playLocked(cl, media.Ringback())
		c.addTaskLocked(cl, router.Task{Kind: router.KindDirect, TargetExtension: entry})
		return true
	}
	return false
}

func (c *Core) runIVR(ctx context.Context, cl *call) {
	if err := c.answer(ctx, cl); err != nil {
		return
	}
	digits := make(chan rune, 16) // the caller types ahead at most this much; more is dropped
	c.locked(func() { cl.digits = digits })
	defer c.locked(func() {
		if cl.digits == digits { // voicemail may have taken the call's digits since
			cl.digits = nil
		}
	})
	c.extensionIVR(ctx, cl, digits)
}

// extensionIVR runs the extension menu on an answered call whose digits
// arrive on digits.
func (c *Core) extensionIVR(ctx context.Context, cl *call, digits chan rune) {
	done := cl.tc.Done()
	for try := range ivrTries {
		clip := c.cfg.Prompts.Extension
		if try > 0 {
			clip = c.cfg.Prompts.Invalid
		}
		played, ok := c.playClip(cl, clip)
		if !ok {
			return
		}
		if try > 0 {
			// "not valid", then the question again.
			select {
			case <-played:
			case <-done:
				return
			case <-ctx.Done():
				return
			}
			if played, ok = c.playClip(cl, c.cfg.Prompts.Extension); !ok {
				return
			}
		}
		entry, ok := collect(ctx, digits, done, played, c.cfg.DigitTimeout)
		if !ok {
			return
		}
		if c.ivrEntry(cl, entry, try) {
			return
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl.ended {
		return
	}
	cl.outcome = "ivr_failed"
	c.announceAndHangupLocked(cl, c.cfg.Prompts.Goodbye, "ivr_failed")
}
