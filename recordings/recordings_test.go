package recordings_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/recordings"
)

func record(t *testing.T, d *recordings.Dir, frames int) string {
	t.Helper()
	id := recordings.NewID()
	w := d.Create(id, media.PCMU)
	fr := make([]byte, media.FrameSamples)
	for range frames {
		w.RecordFrame(fr, fr)
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return id
}

// Served as audio/wav with ranges; bad and unknown names are 404s and
// never leave the directory; Delete and Expire remove files.
func TestDir(t *testing.T) {
	dir := t.TempDir()
	d, err := recordings.Open(recordings.Config{Path: filepath.Join(dir, "r"), Retention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	id := record(t, d, 50)
	if !recordings.ValidID(id) || recordings.ValidID("../"+id) || recordings.ValidID("rec-1") {
		t.Fatalf("ValidID wrong for %q", id)
	}
	srv := httptest.NewServer(d.Handler())
	defer srv.Close()
	get := func(path, rng string) (int, string, int) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), len(b)
	}
	if code, ct, n := get("/api/recordings/"+id+".wav", ""); code != 200 || ct != "audio/wav" || n != 58+2*50*media.FrameSamples {
		t.Errorf("GET = %d %s %d bytes", code, ct, n)
	}
	if code, _, n := get("/api/recordings/"+id+".wav", "bytes=0-57"); code != 206 || n != 58 {
		t.Errorf("GET header range = %d, %d bytes", code, n)
	}
	if err := os.WriteFile(filepath.Join(dir, "secret.wav"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/api/recordings/" + recordings.NewID() + ".wav", "/api/recordings/" + id, "/api/recordings/..%2Fsecret.wav", "/api/recordings/secret.wav"} {
		if code, _, _ := get(p, ""); code != 404 {
			t.Errorf("GET %s = %d, want 404", p, code)
		}
	}
	if err := d.Delete("../secret"); !errors.Is(err, recordings.ErrBadID) {
		t.Errorf("Delete(../secret) = %v", err)
	}
	if err := d.Delete(id); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(id); !errors.Is(err, recordings.ErrNotFound) {
		t.Errorf("second Delete = %v", err)
	}
	old, fresh := record(t, d, 1), record(t, d, 1)
	past := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "r", old+".wav"), past, past); err != nil {
		t.Fatal(err)
	}
	if n, err := d.Expire(time.Now().Add(-time.Hour)); n != 1 || err != nil {
		t.Errorf("Expire = %d, %v, want 1", n, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "r", old+".wav")); !os.IsNotExist(err) {
		t.Errorf("old recording still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "r", fresh+".wav")); err != nil {
		t.Errorf("fresh recording gone: %v", err)
	}
	if _, err := recordings.Open(recordings.Config{}); err == nil {
		t.Error("Open without Path: nil error")
	}
}
