package vmaudio_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"switchboard/agent"
	"switchboard/store"
	"switchboard/web/vmaudio"
)

// fakeBoxes knows one message, vm1, for token "tok" (agent a1).
type fakeBoxes struct {
	path     string
	greeting []byte
}

func (f *fakeBoxes) VoicemailAudio(_ context.Context, token, id string) (string, store.Voicemail, error) {
	if token != "tok" {
		return "", store.Voicemail{}, agent.ErrNoSession
	}
	return f.AdminVoicemailAudio(context.Background(), id)
}

func (f *fakeBoxes) AdminVoicemailAudio(_ context.Context, id string) (string, store.Voicemail, error) {
	if id != "vm1" {
		return "", store.Voicemail{}, fmt.Errorf("voicemail %s: %w", id, agent.ErrNotFound)
	}
	return f.path, store.Voicemail{ID: id, At: time.Now()}, nil
}

func (f *fakeBoxes) TokenAgent(token string) (string, bool) { return "a1", token == "tok" }

func (f *fakeBoxes) SetGreeting(_ string, wav []byte) (time.Duration, error) {
	if len(wav) > 0 && !bytes.HasPrefix(wav, []byte("RIFF")) {
		return 0, fmt.Errorf("%w: not a RIFF/WAVE file", agent.ErrBadTarget)
	}
	f.greeting = wav
	return time.Second, nil
}

func TestHandlers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vm1.wav")
	audio := append([]byte("RIFF"), bytes.Repeat([]byte{1}, 1000)...)
	if err := os.WriteFile(path, audio, 0o600); err != nil {
		t.Fatal(err)
	}
	fb := &fakeBoxes{path: path}
	h := &vmaudio.Handlers{Boxes: fb}
	mux := http.NewServeMux()
	mux.Handle("GET /voicemail/{name}", h.Agent())
	mux.Handle("PUT /voicemail/greeting", h.Greeting())
	mux.Handle("GET /api/voicemail/{name}", h.Admin())
	srv := httptest.NewServer(mux)
	defer srv.Close()
	do := func(method, path, auth, rng string, body []byte) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	for _, tc := range []struct {
		method, path, auth, rng string
		body                    []byte
		code                    int
		n                       int // body length (-1: any)
	}{
		{"GET", "/voicemail/vm1.wav", "Bearer tok", "", nil, 200, len(audio)},
		{"GET", "/voicemail/vm1.wav", "bearer tok", "bytes=0-3", nil, 206, 4},
		{"GET", "/voicemail/vm1.wav", "", "", nil, 401, -1},
		{"GET", "/voicemail/vm1.wav", "Bearer stale", "", nil, 401, -1},
		{"GET", "/voicemail/vm2.wav", "Bearer tok", "", nil, 404, -1},
		{"GET", "/voicemail/vm1", "Bearer tok", "", nil, 404, -1},
		{"GET", "/voicemail/..%2Fx.wav", "Bearer tok", "", nil, 404, -1},
		{"GET", "/api/voicemail/vm1.wav", "", "", nil, 200, len(audio)},
		{"PUT", "/voicemail/greeting", "Bearer tok", "", []byte("RIFF...."), 200, -1},
		{"PUT", "/voicemail/greeting", "Bearer tok", "", []byte("junk"), 400, -1},
		{"PUT", "/voicemail/greeting", "", "", []byte("RIFF"), 401, -1},
		{"PUT", "/voicemail/greeting", "Bearer tok", "", make([]byte, vmaudio.MaxGreetingBytes+1), 413, -1},
	} {
		code, b := do(tc.method, tc.path, tc.auth, tc.rng, tc.body)
		if code != tc.code || (tc.n >= 0 && len(b) != tc.n) {
			t.Errorf("%s %s (%q, %q) = %d with %d bytes, want %d with %d", tc.method, tc.path, tc.auth, tc.rng, code, len(b), tc.code, tc.n)
		}
	}
	if string(fb.greeting) != "RIFF...." {
		t.Errorf("greeting stored %q", fb.greeting)
	}
}
