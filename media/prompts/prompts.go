package prompts

import (
	"bytes"
	"embed"
	"fmt"

	"switchboard/media"
)

//go:embed *.wav
var files embed.FS

// Set is the gateway's prompts as playable clips.
type Set struct {
	Extension   *media.Clip // asks for an extension (IVR)
	Invalid     *media.Clip // "that extension is not valid" (IVR re-prompt)
	Unavailable *media.Clip // the fallback announcement after answer
	Goodbye     *media.Clip // the IVR gives up
}

// Load decodes the embedded prompts.
func Load() (Set, error) {
	var s Set
	for name, dst := range map[string]**media.Clip{
		"extension.wav": &s.Extension, "invalid.wav": &s.Invalid,
		"unavailable.wav": &s.Unavailable, "goodbye.wav": &s.Goodbye,
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
	return s, nil
}
