package agent

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"switchboard/media"
)

// Greetings (PROTOCOL §11): an agent's own greeting is prompt
// vm-<agent id>. Unless VoicemailConfig.Greeting says otherwise, it is a
// WAV file under VoicemailConfig.Dir/greetings, set by the agent
// (PUT /voicemail/greeting) and played in place of the built-in one.

// MaxGreeting bounds an agent's greeting.
const MaxGreeting = 60 * time.Second

// greetingPath is where agent id's greeting lives.
func (c *Core) greetingPath(agentID string) string {
	return filepath.Join(c.cfg.Voicemail.Dir, "greetings", "vm-"+agentID+".wav")
}

// fileGreeting is the default VoicemailConfig.Greeting: the agent's file,
// or nil.
func (c *Core) fileGreeting(agentID string) *media.Clip {
	pcm, err := media.LoadWAVFile(c.greetingPath(agentID))
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			c.log.Warn("voicemail greeting unreadable", "agent_id", agentID, "err", err)
		}
		return nil
	}
	return media.NewClip(pcm)
}

// SetGreeting stores wav (a WAV file of integer PCM, any rate and
// channels; at most MaxGreeting) as the agent's greeting; an empty wav
// removes it (the built-in one plays again). It returns the greeting's
// length.
func (c *Core) SetGreeting(agentID string, wav []byte) (time.Duration, error) {
	if c.vm == nil {
		return 0, ErrVoicemailOff
	}
	if _, err := locked2(c, func() (*agentRT, error) {
		if ag := c.agents[agentID]; ag != nil {
			return ag, nil
		}
		return nil, ErrUnknownAgent
	}); err != nil {
		return 0, err
	}
	path := c.greetingPath(agentID)
	if len(wav) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return 0, err
		}
		return 0, nil
	}
	pcm, err := media.LoadWAV(bytes.NewReader(wav))
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrBadTarget, err)
	}
	d := time.Duration(len(pcm)) * time.Second / media.SampleRate
	if d > MaxGreeting {
		return 0, fmt.Errorf("%w: greeting %.1f s long, at most %v", ErrBadTarget, d.Seconds(), MaxGreeting)
	}
	if d < 200*time.Millisecond {
		return 0, fmt.Errorf("%w: greeting %.2f s long, at least 0.2 s", ErrBadTarget, d.Seconds())
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return 0, err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, wav, 0o600); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, err
	}
	c.log.Info("voicemail greeting set", "agent_id", agentID, "seconds", d.Seconds())
	return d, nil
}
