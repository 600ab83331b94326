package webtest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestBrowser(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, `<!doctype html><title>t</title><button id="b" onclick="window.n=(window.n||0)+1; setTimeout(() => document.body.dataset.late = 'yes', 100)">go</button>
<script>console.log("hello from page")</script>`)
	}))
	t.Cleanup(srv.Close)
	ctx := Browser(t)
	Do(t, ctx, chromedp.Navigate(srv.URL))
	WaitVisible(t, ctx, "#b", 0)
	Click(t, ctx, "#b")
	if n := Eval[int](t, ctx, `window.n`); n != 1 {
		t.Errorf("window.n = %d, want 1", n)
	}
	WaitTrue(t, ctx, `document.body.dataset.late === 'yes'`, 2*time.Second)
	ua := Eval[string](t, ctx, `Promise.resolve(navigator.userAgent)`)
	if !strings.Contains(ua, "Chrome") {
		t.Errorf("userAgent = %q", ua)
	}
	// The fake microphone of the flags works: getUserMedia gives an audio track.
	kind := Eval[string](t, ctx, `navigator.mediaDevices.getUserMedia({audio: true}).then(s => s.getAudioTracks()[0].kind)`)
	if kind != "audio" {
		t.Errorf("getUserMedia track kind = %q, want audio", kind)
	}
}

func TestFlagsMatchTesting(t *testing.T) {
	want := "--headless=new --no-sandbox --disable-gpu --use-fake-ui-for-media-stream --use-fake-device-for-media-stream " +
		"--autoplay-policy=no-user-gesture-required --allow-loopback-in-peer-connection --disable-quic --no-first-run " +
		"--disable-background-networking --disable-component-update --disable-sync"
	if got := "--" + strings.Join(Flags, " --"); got != want {
		t.Errorf("Flags = %s\nwant    %s", got, want)
	}
}
