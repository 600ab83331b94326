package console

import (
	"context"

	"switchboard/signaling/ws"
	"switchboard/store"
)

// Voicemail on the console (PROTOCOL §11): voicemail.list {agent?, queue?}
// → [Voicemail], newest first, at most store.MaxVoicemailList. The audio
// is GET /api/voicemail/<id>.wav with the admin token (web/vmaudio).

type voicemailListParams struct {
	Agent string `json:"agent"`
	Queue string `json:"queue"`
}

func (s *session) registerVoicemail() {
	s.Register("voicemail.list", ws.Typed(s.voicemailList))
}

func (s *session) voicemailList(ctx context.Context, p voicemailListParams) ([]store.Voicemail, error) {
	vs, ok := s.c.cfg.Store.(store.VoicemailStore)
	if !ok {
		return nil, &ws.Error{Code: ws.CodeInternalError, Reason: "this store keeps no voicemail"}
	}
	if p.Agent != "" && !store.ValidID(p.Agent) {
		return nil, ws.InvalidParams("agent: must match [a-z0-9._-]{1,64}")
	}
	if p.Queue != "" && !store.ValidID(p.Queue) {
		return nil, ws.InvalidParams("queue: must match [a-z0-9._-]{1,64}")
	}
	l, err := vs.ListVoicemail(ctx, store.VoicemailFilter{Agent: p.Agent, Queue: p.Queue})
	if err != nil {
		return nil, s.fail("voicemail.list", err)
	}
	return l, nil
}
