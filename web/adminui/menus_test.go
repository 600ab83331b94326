package adminui

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/media"
	"switchboard/web/webtest"
)

// wavFile writes secs of silence as an 8 kHz mono 16-bit WAV under dir.
func wavFile(t *testing.T, dir, name string, secs float64) string {
	t.Helper()
	b := media.EncodeWAV(media.SampleRate, make([]int16, int(media.SampleRate*secs)))
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// uploadPrompt picks file in the prompt form and submits it as id.
func uploadPrompt(t *testing.T, ctx context.Context, id, file string) {
	t.Helper()
	webtest.SetValue(t, ctx, "#prompt-form input[name=id]", id)
	if file != "" {
		webtest.Do(t, ctx, chromedp.SetUploadFiles(chromedp.CSS("#prompt-form input[name=file]"), []string{file}))
	}
	webtest.Click(t, ctx, "#prompt-upload")
}

// fieldError waits until the form's error for field contains want, and
// checks that its input is marked invalid when it has one.
func fieldError(t *testing.T, ctx context.Context, form, field, want string) {
	t.Helper()
	sel := form + ` .field-error[data-field="` + field + `"]`
	webtest.WaitTrue(t, ctx, `(document.querySelector('`+sel+`')?.textContent ?? '').includes(`+jsString(want)+`)`, 5*time.Second,
		`document.querySelector('`+form+`').innerText`)
	if !webtest.Eval[bool](t, ctx, `(() => { const i = document.querySelector('`+form+` [name="`+field+`"]'); return !i || i.getAttribute('aria-invalid') === 'true'; })()`) {
		t.Errorf("%s %s: input not aria-invalid", form, field)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestPromptsSection (issue 14/17): uploading a prompt from the console
// (PUT /api/prompts/<id> with the admin token): no file, a bad id, a file
// that is not a WAV and one over the limit (413) are each shown by their
// field; a good one is listed with its length.
func TestPromptsSection(t *testing.T) {
	ctx, srv, fake := startConsole(t)
	dir := t.TempDir()
	adminLogin(t, ctx, srv.URL+"/admin#workflows")
	webtest.WaitVisible(t, ctx, "#prompt-form", 0)

	uploadPrompt(t, ctx, "welcome", "")
	fieldError(t, ctx, "#prompt-form", "file", "choose a WAV file")
	uploadPrompt(t, ctx, "Bad!", wavFile(t, dir, "one.wav", 1))
	fieldError(t, ctx, "#prompt-form", "id", "id must match")
	notWAV := filepath.Join(dir, "notes.wav")
	if err := os.WriteFile(notWAV, []byte("these are not audio samples, just text in a file"), 0o600); err != nil {
		t.Fatal(err)
	}
	uploadPrompt(t, ctx, "welcome", notWAV)
	fieldError(t, ctx, "#prompt-form", "file", "not a RIFF/WAVE file")
	uploadPrompt(t, ctx, "welcome", wavFile(t, dir, "big.wav", 5)) // 80 KB > the fake's 64 KiB
	fieldError(t, ctx, "#prompt-form", "file", "larger than 32 MiB")
	fake.mu.Lock()
	n := len(fake.prompts)
	fake.mu.Unlock()
	if n != 0 {
		t.Fatalf("refused uploads stored %d prompts", n)
	}

	uploadPrompt(t, ctx, "welcome", wavFile(t, dir, "one.wav", 1))
	webtest.WaitVisible(t, ctx, `#prompts-table tr[data-prompt=welcome]`, 0)
	if got := webtest.Eval[string](t, ctx, `document.querySelector('#prompts-table tr[data-prompt=welcome] .prompt-seconds').textContent`); got != "1.0 s" {
		t.Errorf("prompt length %q, want 1.0 s", got)
	}
	if got := webtest.Eval[string](t, ctx, `document.querySelector('#prompt-form .field-error[data-field=file]').textContent`); got != "" {
		t.Errorf("file error %q still shown after a good upload", got)
	}
	// The menu form offers it.
	webtest.WaitTrue(t, ctx, `[...document.querySelectorAll('#menu-form select[name=prompt] option')].some((o) => o.value === 'welcome')`, 5*time.Second)
}

// TestMenusSection (issue 14/17): an IVR menu made in the console with two
// options (target and attributes), tries, timeout and fallback; refusals
// shown by the field they name (a row's target, its attributes, retries);
// edit changes a digit; a prompt in use and a menu a route names cannot be
// deleted and the page says why; then both are deleted. axe-clean with
// rows and errors shown.
func TestMenusSection(t *testing.T) {
	ctx, srv, fake := startConsole(t)
	fake.mu.Lock()
	fake.queues["sales"] = map[string]any{"id": "sales", "name": "Sales"}
	fake.queues["support"] = map[string]any{"id": "support", "name": "Support"}
	fake.prompts = map[string]float64{"welcome": 2}
	fake.mu.Unlock()
	adminLogin(t, ctx, srv.URL+"/admin#workflows")
	webtest.WaitTrue(t, ctx, `[...document.querySelectorAll('#menu-form select[name=prompt] option')].some((o) => o.value === 'welcome')`, 5*time.Second)
	const form = "#menu-form"
	opt := func(i int) string { return `#menu-options .menu-option:nth-child(` + strconv.Itoa(i) + `)` }

	webtest.Click(t, ctx, "#menu-submit")
	fieldError(t, ctx, form, "id", "required")
	webtest.SetValue(t, ctx, form+" input[name=id]", "main")
	webtest.SetValue(t, ctx, form+" select[name=prompt]", "welcome")
	webtest.SetValue(t, ctx, opt(1)+" .menu-target", "queue:nope")
	webtest.Click(t, ctx, "#menu-submit")
	fieldError(t, ctx, form, "options.1.target", "unknown queue nope")
	webtest.SetValue(t, ctx, opt(1)+" .menu-target", "queue:sales")
	webtest.SetValue(t, ctx, opt(1)+" .menu-attrs", `{dept: sales}`)
	webtest.Click(t, ctx, "#menu-submit")
	fieldError(t, ctx, form, "options.1.attributes", "not valid JSON")
	webtest.SetValue(t, ctx, opt(1)+" .menu-attrs", `{"dept": "sales"}`)
	webtest.Click(t, ctx, "#menu-add-option")
	webtest.WaitVisible(t, ctx, opt(2)+" .menu-target", 0)
	if d := webtest.Eval[string](t, ctx, `document.querySelector('`+opt(2)+`').dataset.digit`); d != "2" {
		t.Errorf("second option's digit %q, want the next free one, 2", d)
	}
	webtest.SetValue(t, ctx, opt(2)+" .menu-target", "queue:support")
	webtest.SetValue(t, ctx, form+" input[name=retries]", "11")
	webtest.Click(t, ctx, "#menu-submit")
	fieldError(t, ctx, form, "retries", "out of range 1..10")
	webtest.AxeClean(t, ctx, "menu form with errors")
	webtest.SetValue(t, ctx, form+" input[name=retries]", "2")
	webtest.SetValue(t, ctx, form+" input[name=timeout_seconds]", "4")
	webtest.SetValue(t, ctx, form+" input[name=fallback]", "queue:sales")
	webtest.Click(t, ctx, "#menu-submit")
	webtest.WaitVisible(t, ctx, `#menus-table tr[data-menu=main]`, 0)
	row := func(cls string) string {
		return webtest.Eval[string](t, ctx, `document.querySelector('#menus-table tr[data-menu=main] .`+cls+`').textContent`)
	}
	if got := row("menu-options"); got != "1 → queue:sales, 2 → queue:support" {
		t.Errorf("options cell %q", got)
	}
	if got, fb := row("menu-tries"), row("menu-fallback"); got != "2 × 4 s" || fb != "queue:sales" {
		t.Errorf("tries %q fallback %q", got, fb)
	}
	fake.mu.Lock()
	m := fake.menus["main"]
	fake.mu.Unlock()
	o1, _ := m["options"].(map[string]any)["1"].(map[string]any)
	if attrs, _ := o1["attributes"].(map[string]any); attrs["dept"] != "sales" || m["prompt"] != "welcome" {
		t.Errorf("stored menu %v", m)
	}
	webtest.WaitTrue(t, ctx, `document.querySelector('#prompts-table tr[data-prompt=welcome] .prompt-used').textContent === 'main'`, 5*time.Second)

	// Edit: digit 2 becomes '#'.
	webtest.Click(t, ctx, `#menus-table tr[data-menu=main] button.edit`)
	webtest.WaitTrue(t, ctx, `document.querySelector('#menu-form').dataset.editing === 'main' && document.querySelectorAll('#menu-options .menu-option').length === 2`, 5*time.Second)
	webtest.SetValue(t, ctx, opt(2)+" .menu-digit", "#")
	webtest.Click(t, ctx, "#menu-submit")
	webtest.WaitTrue(t, ctx, `document.querySelector('#menus-table tr[data-menu=main] .menu-options').textContent === '1 → queue:sales, # → queue:support'`, 5*time.Second,
		`document.querySelector('#menus-table').innerText`)

	// In use: the prompt (-32003) and the menu (a route names it).
	webtest.Click(t, ctx, `#prompts-table tr[data-prompt=welcome] button.delete`)
	webtest.Click(t, ctx, `#prompts-table tr[data-prompt=welcome] button.delete`)
	webtest.WaitTrue(t, ctx, `document.querySelector('.form-error[data-form=prompts]').textContent.includes('prompt welcome is used by menu main')`, 5*time.Second,
		`document.querySelector('.form-error[data-form=prompts]').textContent`)
	fake.mu.Lock()
	fake.routes["5040"] = map[string]any{"number": "5040", "target": "ivr:menu:main"}
	fake.mu.Unlock()
	webtest.Click(t, ctx, `#menus-table tr[data-menu=main] button.delete`)
	webtest.Click(t, ctx, `#menus-table tr[data-menu=main] button.delete`)
	webtest.WaitTrue(t, ctx, `document.querySelector('.form-error[data-form=menus]').textContent.includes('menu main is used by route 5040')`, 5*time.Second,
		`document.querySelector('.form-error[data-form=menus]').textContent`)
	webtest.AxeClean(t, ctx, "menus and prompts listed")
	fake.mu.Lock()
	delete(fake.routes, "5040")
	fake.mu.Unlock()
	webtest.Click(t, ctx, `#menus-table tr[data-menu=main] button.delete`)
	webtest.Click(t, ctx, `#menus-table tr[data-menu=main] button.delete`)
	webtest.WaitNotPresent(t, ctx, `#menus-table tr[data-menu=main]`, 5*time.Second)
	webtest.Click(t, ctx, `#prompts-table tr[data-prompt=welcome] button.delete`)
	webtest.Click(t, ctx, `#prompts-table tr[data-prompt=welcome] button.delete`)
	webtest.WaitNotPresent(t, ctx, `#prompts-table tr[data-prompt=welcome]`, 5*time.Second)
	if c := fake.count("menu.delete") + fake.count("prompt.delete"); c != 4 {
		t.Errorf("%d delete requests, want 4 (two refused, two done)", c)
	}
}
