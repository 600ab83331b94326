package webtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is where Debian's chromium package installs the browser.
const ChromiumPath = "/usr/bin/chromium"

// Flags are the Chromium command-line flags of TESTING.md, without the
// leading dashes; Browser adds --user-data-dir with a fresh temporary
// directory. chromedp itself adds only its transport (--remote-debugging-pipe)
// and the first page (about:blank).
var Flags = []string{
	"headless=new",
	"no-sandbox",
	"disable-gpu",
	"use-fake-ui-for-media-stream",
	"use-fake-device-for-media-stream",
	"autoplay-policy=no-user-gesture-required",
	"allow-loopback-in-peer-connection",
	"disable-quic",
	"no-first-run",
	"disable-background-networking",
	"disable-component-update",
	"disable-sync",
}

// DefaultTimeout bounds each helper call that takes no explicit timeout.
const DefaultTimeout = 10 * time.Second

// chromiumPath returns the browser to run, or "" when none is installed.
func chromiumPath() string {
	if st, err := os.Stat(ChromiumPath); err == nil && !st.IsDir() {
		return ChromiumPath
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// Browser starts headless Chromium for t and returns a chromedp context for
// its first tab. It skips t when Chromium is not installed (apt-get install
// chromium). The browser is closed, and its user-data-dir removed, in
// t.Cleanup. Console messages and uncaught exceptions of the page are written
// to t's log.
func Browser(t testing.TB) context.Context {
	t.Helper()
	return BrowserWith(t)
}

// BrowserWith is Browser with extra Chromium flags (without the leading
// dashes), e.g. "ignore-certificate-errors-spki-list=<hash>" to trust a
// test certificate, or "host-resolver-rules=MAP agents.example.test 127.0.0.1".
func BrowserWith(t testing.TB, extra ...string) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		t.Skipf("chromium is not installed (%s not found): apt-get install -y chromium", ChromiumPath)
	}
	userData := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(path)}
	for _, f := range append(slices.Clone(Flags), extra...) {
		name, value, ok := strings.Cut(f, "=")
		if ok {
			opts = append(opts, chromedp.Flag(name, value))
		} else {
			opts = append(opts, chromedp.Flag(name, true))
		}
	}
	opts = append(opts, chromedp.UserDataDir(userData))

	// The browser outlives t.Context (canceled before cleanups run), so it
	// hangs off Background and is closed gracefully by the cleanup below.
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	var logMu sync.Mutex // guards following
	done := false
	logf := func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		if !done {
			t.Logf("chromedp: "+format, args...)
		}
	}
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithErrorf(logf))
	stopLog := func() {
		logMu.Lock()
		done = true
		logMu.Unlock()
	}
	start := time.Now()
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		allocCancel()
		stopLog()
		t.Fatalf("start chromium: %v", err)
	}
	t.Logf("chromium started in %v", time.Since(start).Round(time.Millisecond))

	var wg sync.WaitGroup
	messages := chromedp.Console(ctx)
	wg.Go(func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			logf("console %s: %s", m.Type, m.String())
		}
	})
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
		defer ccancel()
		if err := chromedp.Cancel(cctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("close chromium: %v", err)
		}
		cancel()
		allocCancel()
		wg.Wait()
		stopLog()
	})
	return ctx
}

// Do runs the actions on ctx's tab within DefaultTimeout and fails t on error.
func Do(t testing.TB, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, Scaled(0))
	defer cancel()
	if err := chromedp.Do(tctx, actions...); err != nil {
		t.Fatalf("chromedp: %v", err)
	}
}

// WaitVisible waits up to timeout (0 = DefaultTimeout) until the element of
// the CSS selector is visible, and fails t otherwise.
func WaitVisible(t testing.TB, ctx context.Context, selector string, timeout time.Duration) {
	t.Helper()
	if err := run(ctx, timeout, reveal(selector)); err != nil {
		t.Fatalf("wait visible %q: %v", selector, err)
	}
	if err := run(ctx, timeout, chromedp.WaitVisible(chromedp.CSS(selector))); err != nil {
		t.Fatalf("wait visible %q: %v", selector, err)
	}
}

// WaitNotPresent waits up to timeout (0 = DefaultTimeout) until no element
// matches the CSS selector, and fails t otherwise.
func WaitNotPresent(t testing.TB, ctx context.Context, selector string, timeout time.Duration) {
	t.Helper()
	if err := run(ctx, timeout, chromedp.WaitNotPresent(chromedp.CSS(selector))); err != nil {
		t.Fatalf("wait not present %q: %v", selector, err)
	}
}

// Click reveals the element of the CSS selector (see reveal) and clicks it
// as Press does.
func Click(t testing.TB, ctx context.Context, selector string) {
	t.Helper()
	if err := run(ctx, 0, reveal(selector)); err != nil {
		t.Fatalf("click %q: %v", selector, err)
	}
	Press(t, ctx, selector)
}

// Press clicks the element of the CSS selector with the mouse, as a user
// would, once it is visible, enabled, on top at its centre and not moving
// (a user waits for a greyed-out button too: the softphone's Accept is
// disabled while the microphone does not work). A click
// computed on a layout that is still shifting (a toast that leaves, a card
// that grows) would land on whatever is there a moment later. A node that a
// redraw replaced between the lookup and the click is looked up again. It
// fails t when no click lands within DefaultTimeout (times Slack).
func Press(t testing.TB, ctx context.Context, selector string) {
	t.Helper()
	deadline := time.Now().Add(Scaled(0))
	var err error
	for time.Now().Before(deadline) {
		left := time.Until(deadline)
		if err = runFor(ctx, left, chromedp.Poll[chromedp.Void](steady(selector),
			chromedp.WithPollingTimeout(left), chromedp.WithPollingInterval(30*time.Millisecond))); err != nil {
			break
		}
		if err = runFor(ctx, time.Until(deadline), chromedp.Click(chromedp.CSS(selector), chromedp.NodeVisible)); err == nil {
			return
		}
		if !strings.Contains(err.Error(), "given id") { // only a replaced node is worth another look
			break
		}
	}
	t.Fatalf("click %q: %v", selector, err)
}

// steady is a JavaScript expression, for Poll, that is true when the element
// of selector is visible and enabled, is what the page shows at its centre, and has kept
// its box across two animation frames.
func steady(selector string) string {
	return fmt.Sprintf(`new Promise((done) => {
		const box = () => { const e = document.querySelector(%q); if (!e || !e.checkVisibility() || e.matches(':disabled')) return null; const r = e.getBoundingClientRect(); return [e, r.x, r.y, r.width, r.height]; };
		const a = box(); if (!a) return done(false);
		requestAnimationFrame(() => requestAnimationFrame(() => {
			const b = box(); if (!b || b[0] !== a[0] || b.slice(1).join() !== a.slice(1).join()) return done(false);
			b[0].scrollIntoView({block: 'nearest'});
			const r = b[0].getBoundingClientRect(), top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
			done(!!top && (top === b[0] || b[0].contains(top)));
		}));
	})`, selector)
}

// SetValue sets the value of the input of the CSS selector, as if typed, and
// fires its input and change events.
func SetValue(t testing.TB, ctx context.Context, selector, value string) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false;
		e.value = %q; e.dispatchEvent(new Event('input', {bubbles: true}));
		e.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, selector, value)
	if !Eval[bool](t, ctx, js) {
		t.Fatalf("set value: no element %q", selector)
	}
}

// Eval evaluates a JavaScript expression (awaiting it if it is a promise) and
// decodes its JSON value into T; it fails t on an exception or a decoding
// error.
func Eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, Scaled(0))
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("eval %s: %v", expr, err)
	}
	return v
}

// WaitTrue polls a JavaScript expression until it is truthy, for up to
// timeout (0 = DefaultTimeout). On a timeout it fails t, showing the value of
// the optional describe expression (e.g. the HTML of the part of the page
// that matters).
func WaitTrue(t testing.TB, ctx context.Context, expr string, timeout time.Duration, describe ...string) {
	t.Helper()
	timeout = Scaled(timeout)
	err := runFor(ctx, timeout+time.Second, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond)))
	if err == nil {
		return
	}
	msg := fmt.Sprintf("wait for %s: %v", expr, err)
	for _, d := range describe {
		tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		v, derr := chromedp.Run(tctx, chromedp.Evaluate[[]byte](d))
		cancel()
		if derr != nil {
			msg += fmt.Sprintf("\n%s: %v", d, derr)
		} else {
			msg += fmt.Sprintf("\n%s = %s", d, v)
		}
	}
	t.Fatal(msg)
}

// reveal waits until the element of the CSS selector is in the document and,
// if the page defines window.sbReveal(selector) (the admin console does: it
// opens the section holding the element, as a click on its navigation link
// would), calls it, so tests address elements of any section.
func reveal(selector string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		if err := chromedp.Do(ctx, chromedp.WaitReady(chromedp.CSS(selector))); err != nil {
			return chromedp.Void{}, err
		}
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`window.sbReveal ? (window.sbReveal(%q), true) : false`, selector)))
		return chromedp.Void{}, err
	}
}

// run runs one action within timeout (0 = DefaultTimeout), times Slack.
func run(ctx context.Context, timeout time.Duration, a chromedp.Action[chromedp.Void]) error {
	return runFor(ctx, Scaled(timeout), a)
}

// runFor runs one action within exactly d.
func runFor(ctx context.Context, d time.Duration, a chromedp.Action[chromedp.Void]) error {
	tctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return chromedp.Do(tctx, a)
}
