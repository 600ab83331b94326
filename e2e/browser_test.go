package e2e

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/media/tone"
	"switchboard/web/adminui/admintest"
	"switchboard/web/phoneui/phonetest"
	"switchboard/web/webtest"
)

// page helpers for the softphone in Chromium.
type phonePage struct {
	t   *testing.T
	ctx context.Context
}

func (p *phonePage) wait(expr string, timeout time.Duration) {
	p.t.Helper()
	webtest.WaitTrue(p.t, p.ctx, expr, timeout,
		`document.querySelector('main') ? document.querySelector('main').outerHTML : document.body.outerHTML`,
		`JSON.stringify(window.sb && window.sb.state && {conn: window.sb.state.connection, rtc: window.sb.state.rtc, err: window.sb.state.lastError})`)
}

// acceptToast waits for the one offer toast of kind ("queue", "direct")
// and presses its Accept.
func (p *phonePage) acceptToast(kind string) {
	p.t.Helper()
	p.wait(`document.querySelectorAll('#toasts .toast[data-kind="`+kind+`"]').length === 1`, 10*time.Second)
	webtest.Click(p.t, p.ctx, `#toasts .toast[data-kind="`+kind+`"] button.accept`)
}

// rows returns id -> state of the page's call list.
func (p *phonePage) rows() map[string]string {
	p.t.Helper()
	got := webtest.Eval[map[string]string](p.t, p.ctx,
		`Object.fromEntries([...document.querySelectorAll('#calls .call-card[data-call]')].map(r => [r.dataset.call, r.dataset.state]))`)
	if got == nil {
		got = map[string]string{}
	}
	return got
}

// matchesGateway waits until the page's call list equals the gateway's
// view of the agent's calls (admin state) and want.
func (p *phonePage) matchesGateway(g *gateway, agent string, want map[string]string) {
	p.t.Helper()
	var page, gw map[string]string
	deadline := time.Now().Add(10 * time.Second)
	for {
		page, gw = p.rows(), g.agentCalls(p.t, agent)
		if maps.Equal(page, gw) && maps.Equal(page, want) {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("call list: page %v, gateway %v, want %v", page, gw, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// inboundAudio is a getStats check: audio packets arrive and are audible.
const inboundAudio = `(async () => {
	const pc = window.sb && window.sb.pc;
	if (!pc) return false;
	const stats = await pc.getStats();
	let ok = false;
	stats.forEach(s => {
		if (s.type === 'inbound-rtp' && s.kind === 'audio' && s.packetsReceived > 0 && s.audioLevel > 0) ok = true;
	});
	return ok;
})()`

// Issue 5 and scenario 11: the softphone in Chromium against the real
// gateway: login, WebRTC up, inbound audio, an offer toast accepted, a
// second call, swap, hang up, with the page's list matching the gateway.
func TestBrowserSoftphone(t *testing.T) {
	g := startGW(t)
	ctx := webtest.Browser(t)
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001", Queues: []string{"sales"}})
	p := &phonePage{t: t, ctx: ctx}
	row := func(id string) string { return `#calls .call-card[data-call="` + id + `"]` }

	webtest.Do(t, ctx, chromedp.Navigate(g.HTTP+"/"))
	phonetest.Login(t, ctx, "a1", "pw-a1")
	p.wait(`window.sb.pc && window.sb.pc.connectionState === 'connected'`, 15*time.Second)
	p.wait(`document.querySelector('#rtc-state').dataset.state === 'connected'`, 5*time.Second)
	phonetest.GoAvailable(t, ctx) // passes the audio check, as an agent does

	// A queue call: one toast, accepted; the page hears the caller.
	c1 := g.dial(t, "5000", toneCaller1)
	p.acceptToast("queue")
	p.wait(`document.querySelectorAll('#toasts .toast').length === 0`, 5*time.Second)
	p.wait(`document.querySelectorAll('#calls .call-card[data-state="active"]').length === 1`, 5*time.Second)
	call1 := webtest.Eval[string](t, ctx, `document.querySelector('#calls .call-card[data-state="active"]').dataset.call`)
	p.matchesGateway(g, "a1", map[string]string{call1: "active"})
	p.wait(inboundAudio, 10*time.Second)
	// The caller now gets the page's microphone, not the music.
	hearsPage(t, "caller 1 (Chromium's fake beep)", c1)

	// A second (direct) call: a toast, accepted; call 1 is held.
	p2 := g.dialAsync(t, "1001", toneCaller2)
	p.acceptToast("direct")
	c2 := p2.wait(t)
	p.wait(`document.querySelectorAll('#calls .call-card').length === 2`, 5*time.Second)
	call2 := webtest.Eval[string](t, ctx, fmt.Sprintf(`[...document.querySelectorAll('#calls .call-card[data-call]')].map(r => r.dataset.call).find(id => id !== %q)`, call1))
	p.matchesGateway(g, "a1", map[string]string{call1: "held", call2: "active"})
	p.wait(`document.body.dataset.activeCall === '`+call2+`'`, 5*time.Second)
	hearsMusic(t, "held caller 1", c1.classify)
	hearsPage(t, "caller 2", c2)

	// Swap: the Resume button of the held row.
	webtest.Click(t, ctx, row(call1)+" button.resume")
	p.matchesGateway(g, "a1", map[string]string{call1: "active", call2: "held"})
	p.wait(`document.body.dataset.activeCall === '`+call1+`'`, 5*time.Second)
	hearsMusic(t, "held caller 2", c2.classify)
	hearsPage(t, "caller 1 after the swap", c1)

	// Hang up the held call from the page: only it ends.
	webtest.Click(t, ctx, row(call2)+" button.hangup")
	c2.ended(t, "caller 2 hung up from the page", 10*time.Second)
	p.matchesGateway(g, "a1", map[string]string{call1: "active"})
	select {
	case <-c1.Dlg.Done():
		t.Fatal("caller 1's dialog ended with the other call")
	default:
	}
	if strings.Contains(webtest.Eval[string](t, ctx, `document.querySelector('#status').innerText`), "error") {
		t.Logf("status: %s", webtest.Eval[string](t, ctx, `document.querySelector('#status').innerText`))
	}
}

// Issue 4: the admin page against the real gateway: create a queue and an
// agent, see them, and a duplicate extension shows its error by the field.
func TestBrowserAdmin(t *testing.T) {
	g := startGW(t)
	ctx := webtest.Browser(t)
	wait := func(expr string) {
		t.Helper()
		webtest.WaitTrue(t, ctx, expr, 10*time.Second, `document.querySelector('#console-view') ? document.querySelector('#console-view').outerHTML.slice(0, 4000) : document.body.outerHTML`)
	}
	admintest.Login(t, ctx, g.HTTP+"/admin", g.Token)
	wait(`document.querySelector('#conn-state').dataset.state === 'open'`)

	admintest.Fill(t, ctx, "#queue-form", "id", "support", "name", "Support", "timeout_seconds", "20")
	webtest.Click(t, ctx, "#queue-submit")
	wait(`!!document.querySelector('#queues-table tr[data-queue="support"]')`)

	webtest.WaitVisible(t, ctx, `#agent-form input[name=queues][value="support"]`, 0)
	admintest.Fill(t, ctx, "#agent-form", "id", "b1", "name", "Bea", "extension", "2001", "password", "pw-b1")
	webtest.Click(t, ctx, `#agent-form input[name=queues][value="support"]`)
	webtest.Click(t, ctx, "#agent-submit")
	wait(`!!document.querySelector('#agents-table tr[data-agent="b1"]')`)
	wait(`document.querySelector('#agents-table tr[data-agent="b1"] .agent-extension').innerText.includes('2001')`)

	// The gateway has them (and the agent's password works).
	var found bool
	for _, a := range g.state(t).Agents {
		found = found || a.ID == "b1"
	}
	if !found {
		t.Fatal("agent b1 created in the page is not in the gateway state")
	}
	if _, res := g.relogin(t, "b1", 0); res.Agent.ID != "b1" {
		t.Errorf("login of the new agent returned %+v", res.Agent)
	}

	// A duplicate extension: the error is shown next to the extension.
	admintest.Fill(t, ctx, "#agent-form", "id", "b2", "name", "Ben", "extension", "2001", "password", "pw-b2")
	webtest.Click(t, ctx, "#agent-submit")
	wait(`(document.querySelector('#agent-form .field-error[data-field=extension]')?.innerText || '').includes('2001')`)
	if webtest.Eval[bool](t, ctx, `!!document.querySelector('#agents-table tr[data-agent="b2"]')`) {
		t.Error("agent with a duplicate extension shown in the table")
	}
}

// Chromium's fake microphone beeps: about 40 ms of a tone near 400 Hz every
// 500 ms, silence in between. Nothing else a caller hears in these tests
// looks like that: music on hold and the pion agents' tones never pause,
// ringback is on for a whole second.

// beepStats reports whether pcm (a caller's last 1.2 s) is Chromium's fake
// microphone beep, with a description of what was heard. A burst is
// a run of audible frames, at least one of them loud, with silence on both
// sides.
func beepStats(pcm []int16) (bool, string) {
	const frame = 160
	if len(pcm) < 60*frame {
		return false, fmt.Sprintf("only %d samples", len(pcm))
	}
	silent, bursts, run, longest := 0, 0, 0, 0
	loud, started := false, false // started: a silent frame was seen
	for i := 0; i+frame <= len(pcm); i += frame {
		rms := tone.RMS(pcm[i : i+frame])
		if rms >= tone.SilenceRMS {
			run++
			loud = loud || rms > 1000
			continue
		}
		if started && run > 0 && run <= 10 && loud {
			bursts++
		}
		longest = max(longest, run)
		silent++
		run, loud, started = 0, false, true
	}
	n := len(pcm) / frame
	return bursts >= 2 && silent*2 >= n, fmt.Sprintf("%d/%d silent frames, %d short bursts, longest audible run %d frames", silent, n, bursts, longest)
}

// hearsPage waits until the caller hears the page's fake microphone.
func hearsPage(t *testing.T, who string, c *caller) {
	t.Helper()
	deadline := time.Now().Add(8 * time.Second)
	for {
		ok, desc := beepStats(c.RTP.Recorded(1200 * time.Millisecond))
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not hear the page's microphone (Chromium's fake beep): %s", who, desc)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
