// Package webtest drives Debian's headless Chromium from Go tests through
// chromedp, for the web pages of the gateway (the softphone and the admin
// console).
//
// [Browser] starts one browser per test with exactly the flags of
// TESTING.md (headless, fake microphone, loopback ICE allowed, a fresh
// user-data-dir) and stops it in t.Cleanup; it skips the test when Chromium
// is not installed. The other helpers fail the test with a clear message
// instead of returning errors: [Do], [WaitVisible], [WaitNotPresent], [Eval]
// and [WaitTrue] (poll a JavaScript expression until it is truthy, with a
// deadline). The page's console output and uncaught exceptions go to the
// test log, so a failing test shows what the page said.
//
// The package performs no I/O other than starting the browser and talking to
// it; it never sleeps instead of waiting. A context returned by [Browser]
// belongs to one test goroutine at a time (chromedp contexts are one tab).
package webtest
