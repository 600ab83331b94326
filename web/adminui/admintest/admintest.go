// Package admintest drives the admin console page's own flows from
// Chromium tests (web/webtest), for the tests of package adminui (against
// its fake console) and of e2e (against the gateway), as phonetest does for
// the softphone.
//
// [Login] opens the page and authenticates from its token form. [Fill]
// types values into a form's named inputs the way an administrator does.
package admintest

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"switchboard/web/webtest"
)

// Login opens url (the console, e.g. base+"/admin#voicemail"), enters
// token in the token form and waits until the page shows the console.
func Login(t testing.TB, ctx context.Context, url, token string) {
	t.Helper()
	webtest.Do(t, ctx, chromedp.Navigate(url))
	webtest.WaitVisible(t, ctx, "#token", 0)
	webtest.SetValue(t, ctx, "#token", token)
	webtest.Click(t, ctx, "#auth-submit")
	webtest.WaitVisible(t, ctx, "#console-view", 0)
}

// Fill sets the inputs of form (a selector, e.g. "#agent-form") named by
// the pairs of fields, in order: name, value, name, value...
func Fill(t testing.TB, ctx context.Context, form string, fields ...string) {
	t.Helper()
	if len(fields)%2 != 0 {
		t.Fatalf("admintest.Fill %s: %d fields, want name, value pairs", form, len(fields))
	}
	for i := 0; i < len(fields); i += 2 {
		webtest.SetValue(t, ctx, form+" input[name="+fields[i]+"]", fields[i+1])
	}
}
