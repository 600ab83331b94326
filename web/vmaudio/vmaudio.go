// Package vmaudio serves voicemail audio over HTTP (PROTOCOL §11):
//   - GET /voicemail/<id>.wav for an agent, authenticated by its session's
//     http_token (Authorization: Bearer <token>, from the login result);
//     only messages of the agent's box or of its queues' boxes;
//   - GET /api/voicemail/<id>.wav for the console (the caller mounts it
//     behind the admin-token check);
//   - PUT /voicemail/greeting (same bearer token): the agent's own
//     greeting, prompt vm-<agent id>, as a WAV body; an empty body removes
//     it.
//
// Audio is served with http.ServeContent, so Range requests (seeking in an
// audio element) work. Unknown ids and messages of other boxes answer 404
// alike; a missing or stale token answers 401.
package vmaudio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"switchboard/agent"
	"switchboard/store"
)

// Boxes is what the handlers need of the core (agent.Core implements it).
type Boxes interface {
	VoicemailAudio(ctx context.Context, token, id string) (string, store.Voicemail, error)
	AdminVoicemailAudio(ctx context.Context, id string) (string, store.Voicemail, error)
	TokenAgent(token string) (string, bool)
	SetGreeting(agentID string, wav []byte) (time.Duration, error)
}

// MaxGreetingBytes bounds a greeting upload.
const MaxGreetingBytes = 8 << 20

// Handlers serves the voicemail audio paths.
type Handlers struct {
	Boxes  Boxes
	Logger *slog.Logger // nil means slog.Default()
}

func (h *Handlers) log() *slog.Logger {
	if h.Logger == nil {
		return slog.Default()
	}
	return h.Logger
}

// bearer returns the request's bearer token, or "".
func bearer(r *http.Request) string {
	a := r.Header.Get("Authorization")
	if len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	return ""
}

// messageID parses "<id>.wav" (the {name} path value).
func messageID(r *http.Request) (string, bool) {
	id, ok := strings.CutSuffix(r.PathValue("name"), ".wav")
	return id, ok && store.ValidID(id)
}

// errNoToken: the request has no bearer token.
var errNoToken = errors.New("no bearer token")

// needToken answers 401 to a request without a bearer token.
func needToken(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="voicemail"`)
	http.Error(w, "Authorization: Bearer <http_token> required", http.StatusUnauthorized)
}

// Agent serves GET /voicemail/{name} (mount on that pattern).
func (h *Handlers) Agent() http.Handler {
	return h.audio("/voicemail/", func(r *http.Request, id string) (string, store.Voicemail, error) {
		tok := bearer(r)
		if tok == "" {
			return "", store.Voicemail{}, errNoToken
		}
		return h.Boxes.VoicemailAudio(r.Context(), tok, id)
	})
}

// Admin serves GET /api/voicemail/{name}; the caller checks the admin
// token before it.
func (h *Handlers) Admin() http.Handler {
	return h.audio("/api/voicemail/", func(r *http.Request, id string) (string, store.Voicemail, error) {
		return h.Boxes.AdminVoicemailAudio(r.Context(), id)
	})
}

// audio serves GET <prefix><id>.wav: the message find returns for id.
func (h *Handlers) audio(prefix string, find func(r *http.Request, id string) (string, store.Voicemail, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := messageID(r)
		if !ok {
			http.Error(w, "want "+prefix+"<id>.wav", http.StatusNotFound)
			return
		}
		path, v, err := find(r, id)
		h.serve(w, r, path, v, err)
	})
}

func (h *Handlers) serve(w http.ResponseWriter, r *http.Request, path string, v store.Voicemail, err error) {
	switch {
	case errors.Is(err, errNoToken):
		needToken(w)
		return
	case errors.Is(err, agent.ErrNoSession):
		w.Header().Set("WWW-Authenticate", `Bearer realm="voicemail", error="invalid_token"`)
		http.Error(w, "http_token unknown or its session is over: log in again", http.StatusUnauthorized)
		return
	case errors.Is(err, agent.ErrNotFound), errors.Is(err, agent.ErrUnknownAgent):
		http.Error(w, "no such message", http.StatusNotFound)
		return
	case errors.Is(err, agent.ErrVoicemailOff):
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	case err != nil:
		h.log().Error("voicemail audio", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		h.log().Error("voicemail audio missing", "voicemail", v.ID, "err", err)
		http.Error(w, "message audio missing", http.StatusNotFound)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, v.ID+".wav", v.At, f)
}

// Greeting serves PUT /voicemail/greeting.
func (h *Handlers) Greeting() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agentID, ok := h.Boxes.TokenAgent(bearer(r))
		if !ok {
			needToken(w)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxGreetingBytes))
		if err != nil {
			http.Error(w, fmt.Sprintf("greeting: at most %d bytes", MaxGreetingBytes), http.StatusRequestEntityTooLarge)
			return
		}
		d, err := h.Boxes.SetGreeting(agentID, body)
		switch {
		case errors.Is(err, agent.ErrBadTarget):
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		case errors.Is(err, agent.ErrVoicemailOff):
			http.Error(w, err.Error(), http.StatusConflict)
			return
		case err != nil:
			h.log().Error("voicemail greeting", "agent_id", agentID, "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"seconds":%.3f}`+"\n", d.Seconds())
	})
}
