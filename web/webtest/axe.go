package webtest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// AxeViolation is one axe-core rule that failed, with the nodes it failed on.
type AxeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"` // CSS targets, then the failure summary
}

// axeSource is testdata/axe/axe.min.js (axe-core, vendored: CI has no
// network), found by walking up from the working directory to go.mod.
func axeSource(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
	b, err := os.ReadFile(filepath.Join(dir, "testdata", "axe", "axe.min.js"))
	if err != nil {
		t.Fatalf("axe-core: %v", err)
	}
	return string(b)
}

// AxeClean fails t (Errorf) for each serious or critical violation Axe
// finds on the page of ctx as it is now; state names the page's state in
// the failures.
func AxeClean(t testing.TB, ctx context.Context, state string) {
	t.Helper()
	for _, v := range Axe(t, ctx) {
		t.Errorf("%s: axe %s (%s): %s %v", state, v.ID, v.Impact, v.Help, v.Nodes)
	}
}

// Axe runs axe-core (WCAG 2.0-2.2 A and AA rules) on the page of ctx as it
// is now and returns the serious and critical violations. It injects axe
// through the DevTools protocol (the pages' CSP does not apply to it).
func Axe(t testing.TB, ctx context.Context) []AxeViolation {
	t.Helper()
	src := axeSource(t)
	Do(t, ctx, func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true})
		return chromedp.Void{}, err
	})
	if !Eval[bool](t, ctx, `typeof window.axe === 'object'`) {
		Eval[bool](t, ctx, `(() => { `+src+`; return true; })()`)
	}
	raw := Eval[string](t, ctx, `(async () => {
		const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }, resultTypes: ['violations'] });
		return JSON.stringify(r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({
			id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.map((n) => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' ')),
		})));
	})()`)
	var out []AxeViolation
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatalf("axe result: %v", err)
	}
	return out
}
