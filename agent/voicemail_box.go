package agent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"switchboard/router"
	"switchboard/store"
)

// The boxes as the agent socket and the HTTP audio see them (PROTOCOL
// §11): an agent reaches its own box and the boxes of the queues it is a
// member of. The session's http_token (login result) authenticates
// GET /voicemail/<id>.wav; it is valid while that session is the agent's.

// ErrVoicemailOff is returned by the voicemail methods when voicemail is
// not configured (no directory or no voicemail store).
var ErrVoicemailOff = errors.New("voicemail is not configured")

// newTokenLocked gives the agent's new session its http_token, forgetting
// the agent's previous one (so c.tokens holds one per agent at most).
func (c *Core) newTokenLocked(ag *agentRT) string {
	for t, o := range c.tokens {
		if o == ag {
			delete(c.tokens, t)
		}
	}
	var b [24]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	t := hex.EncodeToString(b[:])
	c.tokens[t] = ag
	ag.sess.token = t
	return t
}

// TokenAgent returns the agent whose current session holds the
// http_token, or false.
func (c *Core) TokenAgent(token string) (string, bool) {
	if token == "" {
		return "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ag := c.tokens[token]
	if ag == nil || ag.sess == nil || ag.sess.token != token || c.agents[ag.cfg.ID] != ag {
		return "", false
	}
	return ag.cfg.ID, true
}

// mayHearLocked reports whether agent ag owns v's box.
func (c *Core) mayHearLocked(ag *agentRT, v store.Voicemail) bool {
	if v.Agent != "" {
		return v.Agent == ag.cfg.ID
	}
	return slices.Contains(c.targets.Members(ag.cfg), router.QueueID(v.Queue))
}

// boxesOf returns the agent's boxes: its own and its queues'.
func (c *Core) boxesOf(agentID string) ([]store.VoicemailFilter, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.vm == nil {
		return nil, ErrVoicemailOff
	}
	ag := c.agents[agentID]
	if ag == nil {
		return nil, ErrUnknownAgent
	}
	out := []store.VoicemailFilter{{Agent: agentID}}
	for _, q := range c.targets.Members(ag.cfg) {
		out = append(out, store.VoicemailFilter{Queue: string(q)})
	}
	return out, nil
}

// VoicemailList returns the agent's messages (its box and its queues'),
// newest first, at most store.MaxVoicemailList; none while voicemail is
// off.
func (c *Core) VoicemailList(ctx context.Context, agentID string) ([]store.Voicemail, error) {
	boxes, err := c.boxesOf(agentID)
	if errors.Is(err, ErrVoicemailOff) {
		return []store.Voicemail{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := []store.Voicemail{}
	for _, b := range boxes {
		vs, err := c.vm.ListVoicemail(ctx, b)
		if err != nil {
			return nil, err
		}
		out = append(out, vs...)
	}
	slices.SortFunc(out, func(a, b store.Voicemail) int {
		if d := b.At.Compare(a.At); d != 0 {
			return d
		}
		return strings.Compare(b.ID, a.ID)
	})
	if len(out) > store.MaxVoicemailList {
		out = out[:store.MaxVoicemailList]
	}
	return out, nil
}

// voicemailOf returns message id if the agent may reach it; otherwise
// ErrNotFound (whether it exists is not told).
func (c *Core) voicemailOf(ctx context.Context, agentID, id string) (store.Voicemail, error) {
	if c.vm == nil {
		return store.Voicemail{}, ErrVoicemailOff
	}
	v, err := c.vm.GetVoicemail(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Voicemail{}, fmt.Errorf("voicemail %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return store.Voicemail{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ag := c.agents[agentID]
	if ag == nil {
		return store.Voicemail{}, ErrUnknownAgent
	}
	if !c.mayHearLocked(ag, v) {
		return store.Voicemail{}, fmt.Errorf("voicemail %s: %w", id, ErrNotFound)
	}
	return v, nil
}

// VoicemailMark sets one of the agent's messages heard or not.
func (c *Core) VoicemailMark(ctx context.Context, agentID, id string, heard bool) (store.Voicemail, error) {
	if _, err := c.voicemailOf(ctx, agentID, id); err != nil {
		return store.Voicemail{}, err
	}
	v, err := c.vm.MarkVoicemail(ctx, id, heard)
	if err == nil {
		c.boxChanged(v, "voicemail.updated", v)
	}
	return v, err
}

// boxChanged tells the box's owners (the agent, or every member of the
// queue) about a change (additions: voicemail.updated {Voicemail},
// voicemail.deleted {id}), so every page's list stays true.
func (c *Core) boxChanged(v store.Voicemail, method string, params any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ag := range c.boxAgentsLocked(vmBox{agent: v.Agent, queue: v.Queue}) {
		c.notifyLocked(ag, method, params)
	}
}

// VoicemailDelete deletes one of the agent's messages and its audio.
func (c *Core) VoicemailDelete(ctx context.Context, agentID, id string) error {
	if _, err := c.voicemailOf(ctx, agentID, id); err != nil {
		return err
	}
	v, err := c.vm.DeleteVoicemail(ctx, id)
	if err != nil {
		return err
	}
	c.removeAudio(v)
	c.boxChanged(v, "voicemail.deleted", map[string]string{"id": id})
	c.log.Info("voicemail deleted", "voicemail", id, "agent_id", agentID)
	return nil
}

// VoicemailAudio returns the path of message id's WAV for the session of
// http_token, if its agent may hear it.
func (c *Core) VoicemailAudio(ctx context.Context, token, id string) (string, store.Voicemail, error) {
	agentID, ok := c.TokenAgent(token)
	if !ok {
		return "", store.Voicemail{}, ErrNoSession
	}
	v, err := c.voicemailOf(ctx, agentID, id)
	if err != nil {
		return "", store.Voicemail{}, err
	}
	return c.audioPath(v), v, nil
}

// AdminVoicemailAudio returns the path of message id's WAV (the console's
// GET /api/voicemail/<id>.wav, behind the admin token).
func (c *Core) AdminVoicemailAudio(ctx context.Context, id string) (string, store.Voicemail, error) {
	if c.vm == nil {
		return "", store.Voicemail{}, ErrVoicemailOff
	}
	v, err := c.vm.GetVoicemail(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return "", store.Voicemail{}, fmt.Errorf("voicemail %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return "", store.Voicemail{}, err
	}
	return c.audioPath(v), v, nil
}

func (c *Core) audioPath(v store.Voicemail) string {
	return filepath.Join(c.cfg.Voicemail.Dir, filepath.Base(v.File))
}

func (c *Core) removeAudio(v store.Voicemail) {
	if err := os.Remove(c.audioPath(v)); err != nil && !errors.Is(err, os.ErrNotExist) {
		c.log.Warn("voicemail audio not removed", "voicemail", v.ID, "err", err)
	}
}

// startRetention runs the retention sweep (Run): messages older than
// VoicemailConfig.Retention are deleted at start and then every tenth of
// the retention, at least every hour and at most every second.
func (c *Core) startRetention() {
	keep := c.cfg.Voicemail.Retention
	if c.vm == nil || keep <= 0 {
		return
	}
	every := min(max(keep/10, time.Second), time.Hour)
	c.async(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			c.expireVoicemail(keep)
			c.removeOrphans()
			select {
			case <-c.stop:
				return
			case <-t.C:
			}
		}
	})
}

// expireVoicemail deletes the messages older than keep (and their audio).
func (c *Core) expireVoicemail(keep time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		old, err := c.vm.ExpireVoicemail(ctx, c.now().Add(-keep))
		if err != nil {
			c.log.Warn("voicemail retention failed", "err", err)
			return
		}
		for _, v := range old {
			c.removeAudio(v)
		}
		if len(old) > 0 {
			c.log.Info("voicemail expired", "count", len(old), "retention", keep.String())
		}
		if len(old) < store.MaxVoicemailList {
			return
		}
	}
}

// removeOrphans deletes the WAV files under VoicemailConfig.Dir that no
// message names and that are older than the longest message (a recording
// the process did not finish: it was killed mid-message). At most
// maxOrphanScan files are looked at per sweep.
func (c *Core) removeOrphans() {
	const maxOrphanScan = 10000
	dir := c.cfg.Voicemail.Dir
	es, err := os.ReadDir(dir)
	if err != nil {
		c.log.Warn("voicemail orphan sweep", "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cutoff := time.Now().Add(-c.cfg.Voicemail.Max - time.Minute) // file times are the real clock's
	for i, e := range es {
		id, ok := strings.CutSuffix(e.Name(), ".wav")
		if i >= maxOrphanScan || ctx.Err() != nil {
			return
		}
		if !ok || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil || info.ModTime().After(cutoff) {
			continue
		}
		if _, err := c.vm.GetVoicemail(ctx, id); !errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err == nil {
			c.log.Info("voicemail orphan removed", "file", e.Name())
		}
	}
}
