// Package repotest helps tests find the repository's shared files: the
// top-level testdata/ directory and ../shared beside the checkout.
package repotest

import (
	"os"
	"path/filepath"
	"testing"
)

// Root returns the directory holding go.mod, walking up from the test's
// working directory. It fails the test if there is none.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the test directory")
		}
		dir = parent
	}
}

// Testdata returns the path of name inside the top-level testdata/ directory.
func Testdata(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(Root(t), "testdata", name)
}
