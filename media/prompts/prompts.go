package prompts

import (
	"bytes"
	"embed"
	"fmt"
	"math"
	"time"

	"switchboard/media"
)

//go:embed *.wav
var files embed.FS

// Set is the gateway's prompts as playable clips.
type Set struct {
	Extension   *media.Clip // asks for an extension (IVR)
	Invalid     *media.Clip // "that extension is not valid" (IVR re-prompt)
	Choice      *media.Clip // "that choice is not valid" (IVR menu re-prompt, PROTOCOL §10)
	Unavailable *media.Clip // the fallback announcement after answer
	Goodbye     *media.Clip // the IVR gives up
	// Voicemail is the built-in voicemail greeting (PROTOCOL §11), used
	// when the agent has no vm-<agent> prompt; Beep follows the greeting.
	Voicemail *media.Clip
	Beep      *media.Clip
}

// BeepHz and BeepDuration are the voicemail beep's tone (Set.Beep).
const (
	BeepHz       = 1000
	BeepDuration = 400 * time.Millisecond
)

// beep is BeepDuration of a BeepHz sine at about -10 dBFS.
func beep() *media.Clip {
	n := int(BeepDuration/media.FrameDuration) * media.FrameSamples
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(10000 * math.Sin(2*math.Pi*BeepHz*float64(i)/media.SampleRate))
	}
	return media.NewClip(pcm)
}

// Load decodes the embedded prompts.
func Load() (Set, error) {
	var s Set
	for name, dst := range map[string]**media.Clip{
		"extension.wav": &s.Extension, "invalid.wav": &s.Invalid,
		"unavailable.wav": &s.Unavailable, "goodbye.wav": &s.Goodbye, "voicemail.wav": &s.Voicemail,
		"choice.wav": &s.Choice,
	} {
		b, err := files.ReadFile(name)
		if err != nil {
			return Set{}, fmt.Errorf("prompt %s: %w", name, err)
		}
		pcm, err := media.LoadWAV(bytes.NewReader(b))
		if err != nil {
			return Set{}, fmt.Errorf("prompt %s: %w", name, err)
		}
		*dst = media.NewClip(pcm)
	}
	s.Beep = beep()
	return s, nil
}
