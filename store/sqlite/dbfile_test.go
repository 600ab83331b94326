package sqlite_test

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"switchboard/store/sqlite"
	"testing"
)

// An empty or foreign database file is refused at Open (a zero-byte
// database used to start silently with an empty configuration).
func TestOpenRefusesEmptyOrForeignDatabase(t *testing.T) {
	tests := []struct {
		name  string
		make  func(t *testing.T, path string)
		shows string
	}{
		{"empty file", func(t *testing.T, path string) {
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "is empty (0 bytes)"},
		{"not sqlite", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("agents:\n  - bob\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "is not an SQLite database"},
		{"another program's sqlite", func(t *testing.T, path string) {
			db, err := sql.Open("sqlite", "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(`CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)`); err != nil {
				t.Fatal(err)
			}
		}, "tables of another program"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, sqlite.FileName)
			tt.make(t, path)
			before, _ := os.ReadFile(path)
			s, err := sqlite.Open(t.Context(), dir, nil)
			if err == nil {
				s.Close()
				t.Fatal("Open accepted it")
			}
			if !errors.Is(err, sqlite.ErrNotOurDatabase) || !strings.Contains(err.Error(), tt.shows) {
				t.Errorf("Open = %v, want ErrNotOurDatabase saying %q", err, tt.shows)
			}
			if after, _ := os.ReadFile(path); string(after) != string(before) {
				t.Error("Open modified the refused file")
			}
		})
	}
	t.Run("missing file is a new database", func(t *testing.T) {
		s, err := sqlite.Open(t.Context(), t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	})
}
