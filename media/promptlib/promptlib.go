// Package promptlib keeps the uploaded voice prompts (PROTOCOL §10:
// PUT /api/prompts/<id>, played by IVR menus). An upload is a WAV file of
// integer PCM at any rate, 8 to 32 bits, mono or more channels; it is
// resampled once, on upload, to 8 kHz mono 16-bit, stored under the
// library's directory as <id>.wav in that form, and kept in memory as a
// clip ready to play. Opening the library loads the stored files. The
// library is bounded: at most MaxPrompts prompts of at most MaxDuration
// each, and MaxTotal of audio in all.
package promptlib

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"switchboard/media"
)

// Bounds of the library.
const (
	MaxPrompts     = 128
	MaxDuration    = 2 * time.Minute
	MinDuration    = 200 * time.Millisecond
	MaxTotal       = 30 * time.Minute
	MaxUploadBytes = 32 << 20 // an upload's WAV file
)

// Errors: an upload or id refused (ErrInvalid, wrapped with the reason), an
// unknown prompt, the library full.
var (
	ErrInvalid  = errors.New("invalid prompt")
	ErrNotFound = errors.New("no such prompt")
	ErrFull     = errors.New("prompt library full")
)

var idRE = regexp.MustCompile(`^[a-z0-9._-]{1,64}$`)

// Prompt describes one stored prompt.
type Prompt struct {
	ID      string  `json:"id"`
	Seconds float64 `json:"seconds"`
}

type entry struct {
	clip    *media.Clip
	samples int
}

// Library is the prompt store. Its methods are safe for concurrent use.
type Library struct {
	dir string
	mu  sync.Mutex // guards following
	m   map[string]entry
	sum int // samples of every prompt
}

// Open loads the prompts stored in dir (created if missing). A stored file
// that does not decode is skipped and reported in the returned error
// joined with the others; the library is usable either way.
func Open(dir string) (*Library, error) {
	l := &Library{dir: dir, m: map[string]entry{}}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("prompts %s: %w", dir, err)
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.wav"))
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, name := range names {
		id := strings.TrimSuffix(filepath.Base(name), ".wav")
		if !idRE.MatchString(id) {
			continue
		}
		pcm, err := media.LoadWAVFile(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("prompt %s: %w", id, err))
			continue
		}
		if len(l.m) < MaxPrompts {
			l.m[id] = entry{clip: media.NewClip(pcm), samples: len(pcm)}
			l.sum += len(pcm)
		}
	}
	return l, errors.Join(errs...)
}

// CheckID refuses an id that is not [a-z0-9._-]{1,64}.
func CheckID(id string) error {
	if !idRE.MatchString(id) {
		return fmt.Errorf("%w: id must match [a-z0-9._-]{1,64}", ErrInvalid)
	}
	return nil
}

// Put stores wav as prompt id (replacing one of that id) and returns it.
func (l *Library) Put(id string, wav []byte) (Prompt, error) {
	if err := CheckID(id); err != nil {
		return Prompt{}, err
	}
	if len(wav) > MaxUploadBytes {
		return Prompt{}, fmt.Errorf("%w: %d bytes, at most %d", ErrInvalid, len(wav), MaxUploadBytes)
	}
	pcm, err := media.LoadWAV(bytes.NewReader(wav))
	if err != nil {
		return Prompt{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	d := samplesDuration(len(pcm))
	if d < MinDuration || d > MaxDuration {
		return Prompt{}, fmt.Errorf("%w: %.2f s long, want %v to %v", ErrInvalid, d.Seconds(), MinDuration, MaxDuration)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	old, replacing := l.m[id]
	if !replacing && len(l.m) >= MaxPrompts {
		return Prompt{}, fmt.Errorf("%w: %d prompts, at most %d", ErrFull, len(l.m), MaxPrompts)
	}
	if total := samplesDuration(l.sum - old.samples + len(pcm)); total > MaxTotal {
		return Prompt{}, fmt.Errorf("%w: %.0f s of prompts in all, at most %v", ErrFull, total.Seconds(), MaxTotal)
	}
	path := filepath.Join(l.dir, id+".wav")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, media.EncodeWAV(media.SampleRate, pcm), 0o600); err != nil {
		return Prompt{}, err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp) // the rename error is the one returned; a leftover .tmp is overwritten by the next upload
		return Prompt{}, err
	}
	l.m[id] = entry{clip: media.NewClip(pcm), samples: len(pcm)}
	l.sum += len(pcm) - old.samples
	return Prompt{ID: id, Seconds: d.Seconds()}, nil
}

// Clip returns prompt id ready to play, or nil.
func (l *Library) Clip(id string) *media.Clip {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m[id].clip
}

// Has reports whether prompt id exists.
func (l *Library) Has(id string) bool { return l.Clip(id) != nil }

// List returns every prompt by id.
func (l *Library) List() []Prompt {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Prompt, 0, len(l.m))
	for id, e := range l.m {
		out = append(out, Prompt{ID: id, Seconds: samplesDuration(e.samples).Seconds()})
	}
	slices.SortFunc(out, func(a, b Prompt) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Delete removes prompt id (ErrNotFound if there is none).
func (l *Library) Delete(id string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.m[id]
	if !ok {
		return fmt.Errorf("prompt %s: %w", id, ErrNotFound)
	}
	if err := os.Remove(filepath.Join(l.dir, id+".wav")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	delete(l.m, id)
	l.sum -= e.samples
	return nil
}

func samplesDuration(n int) time.Duration {
	return time.Duration(n) * time.Second / media.SampleRate
}
