// Package recordings keeps call recordings (PROTOCOL §12): one file
// <id>.wav per agent part of a call, in one directory. It creates them
// (media/wavrec.Stereo: 2-channel G.711 WAV), serves them over HTTP (the
// caller of Handler puts the admin-token check in front), deletes one on
// request and the old ones by retention. It knows nothing of calls or
// agents: the core names the files and keeps their ids in call records.
//
// Concurrency: a Dir is safe for concurrent use; it holds no lock, the
// file system is the state. RunRetention runs on its caller's goroutine.
package recordings

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"switchboard/media"
	"switchboard/media/wavrec"
)

// DefaultRetention is how long recordings are kept when Config.Retention
// is 0 (90 days).
const DefaultRetention = 90 * 24 * time.Hour

// ErrNotFound is returned for an id with no recording.
var ErrNotFound = errors.New("no such recording")

// ErrBadID is returned for a string that is not a recording id.
var ErrBadID = errors.New("not a recording id")

var idRE = regexp.MustCompile(`^rec-[0-9a-f]{20}$`)

// ValidID reports whether id has the shape NewID gives (rec- and 20 hex
// digits): only such names are ever opened, so no path escapes the
// directory.
func ValidID(id string) bool { return idRE.MatchString(id) }

// NewID returns a fresh random recording id.
func NewID() string {
	var b [10]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return "rec-" + hex.EncodeToString(b[:])
}

// Config configures a Dir.
type Config struct {
	Path string // the directory, created if missing (required)
	// Retention is how long a recording is kept; 0 means DefaultRetention.
	Retention time.Duration
	Max       time.Duration // longest recording; 0 means wavrec's 4 h
	Logger    *slog.Logger  // nil means slog.Default()
}

// Dir is a directory of recordings.
type Dir struct {
	cfg Config
	log *slog.Logger
}

// Open creates the directory if needed and returns the Dir.
func Open(cfg Config) (*Dir, error) {
	if cfg.Path == "" {
		return nil, errors.New("recordings: Path is required")
	}
	if cfg.Retention < 0 {
		return nil, errors.New("recordings: negative retention")
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	if err := os.MkdirAll(cfg.Path, 0o750); err != nil {
		return nil, fmt.Errorf("recordings: %w", err)
	}
	d := &Dir{cfg: cfg, log: cfg.Logger}
	if d.log == nil {
		d.log = slog.Default()
	}
	return d, nil
}

func (d *Dir) path(id string) string { return filepath.Join(d.cfg.Path, id+".wav") }

// Create starts recording id (from NewID) in codec; see wavrec.Stereo.
// The file is created by the recorder's goroutine, never the caller's.
func (d *Dir) Create(id string, codec media.Codec) *wavrec.Stereo {
	return wavrec.CreateStereo(d.path(id), codec, wavrec.StereoConfig{Max: d.cfg.Max})
}

// Delete removes recording id.
func (d *Dir) Delete(id string) error {
	if !ValidID(id) {
		return ErrBadID
	}
	err := os.Remove(d.path(id))
	if errors.Is(err, os.ErrNotExist) {
		return ErrNotFound
	}
	return err
}

// Expire deletes the recordings last written before cutoff and returns how
// many it deleted.
func (d *Dir) Expire(cutoff time.Time) (int, error) {
	ents, err := os.ReadDir(d.cfg.Path)
	if err != nil {
		return 0, fmt.Errorf("recordings: %w", err)
	}
	n := 0
	var errs error
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".wav")
		if !ok || !ValidID(id) || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			continue
		}
		if err := os.Remove(d.path(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = errors.Join(errs, err)
			continue
		}
		n++
	}
	return n, errs
}

// RunRetention deletes recordings older than the retention now and then
// every interval (0 means an hour) until ctx ends.
func (d *Dir) RunRetention(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = time.Hour
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := d.Expire(time.Now().Add(-d.cfg.Retention))
		if err != nil {
			d.log.Warn("recording retention", "err", err)
		}
		if n > 0 {
			d.log.Info("recordings expired", "count", n, "retention", d.cfg.Retention.String())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Handler serves GET .../<id>.wav (the last path element) as audio/wav,
// with ranges. It does not authenticate: mount it behind the admin check.
func (d *Dir) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
		id, ok := strings.CutSuffix(name, ".wav")
		if !ok || !ValidID(id) {
			http.Error(w, "not a recording: want /api/recordings/<id>.wav", http.StatusNotFound)
			return
		}
		f, err := os.Open(d.path(id))
		if err != nil {
			http.Error(w, "no such recording", http.StatusNotFound)
			return
		}
		defer f.Close()
		info, err := f.Stat()
		if err != nil {
			http.Error(w, "recording unreadable", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "audio/wav")
		w.Header().Set("Cache-Control", "private, no-store")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		http.ServeContent(w, r, name, info.ModTime(), f)
	})
}
