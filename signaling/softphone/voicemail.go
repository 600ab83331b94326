package softphone

import (
	"context"
	"errors"

	"switchboard/agent"
	"switchboard/signaling/ws"
	"switchboard/store"
)

// Voicemail methods of the agent websocket (PROTOCOL §11):
// voicemail.list {} → [Voicemail], voicemail.mark {id, heard} → Voicemail,
// voicemail.delete {id} → {}. The audio is GET /voicemail/<id>.wav with
// the login result's http_token (web/vmaudio).

type vmIDParams struct {
	ID    string `json:"id"`
	Heard *bool  `json:"heard"`
}

func (ss *session) registerVoicemail() {
	core := ss.s.cfg.Core
	m := &ss.mux
	m.Register("voicemail.list", ws.Typed(func(ctx context.Context, _ struct{}) ([]store.Voicemail, error) {
		v, err := core.VoicemailList(ctx, ss.agent())
		return v, vmToWS(err)
	}))
	m.Register("voicemail.mark", ws.Typed(func(ctx context.Context, p vmIDParams) (store.Voicemail, error) {
		if p.ID == "" {
			return store.Voicemail{}, ws.InvalidParams("id: required")
		}
		if p.Heard == nil {
			return store.Voicemail{}, ws.InvalidParams("heard: required (true or false)")
		}
		v, err := core.VoicemailMark(ctx, ss.agent(), p.ID, *p.Heard)
		return v, vmToWS(err)
	}))
	m.Register("voicemail.delete", ws.Typed(func(ctx context.Context, p vmIDParams) (struct{}, error) {
		if p.ID == "" {
			return struct{}{}, ws.InvalidParams("id: required")
		}
		return struct{}{}, vmToWS(core.VoicemailDelete(ctx, ss.agent(), p.ID))
	}))
}

// vmToWS is toWS plus voicemail's own errors.
func vmToWS(err error) error {
	switch {
	case errors.Is(err, agent.ErrVoicemailOff):
		return ws.Conflict(err.Error())
	case errors.Is(err, store.ErrNotFound):
		return ws.NotFound(err.Error())
	}
	return toWS(err)
}
