// Package repotest helps tests find the repository's shared files (the
// top-level testdata/ directory and ../shared beside the checkout) and
// build its commands.
package repotest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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

// Build builds the command pkg of the module (relative to its root, such
// as "./cmd/switchboard") with go build's flags into dir and returns the
// binary's path. It fails the test with go build's output if the build
// fails.
func Build(t testing.TB, dir, pkg string, flags ...string) string {
	t.Helper()
	bin, err := build(Root(t), dir, pkg, flags)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func build(root, dir, pkg string, flags []string) (string, error) {
	bin := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", append(append([]string{"build"}, flags...), "-o", bin, pkg)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s %s: %v\n%s", strings.Join(flags, " "), pkg, err, out)
	}
	return bin, nil
}

// built holds BuildOnce's binaries by package and flags.
var built struct {
	mu   sync.Mutex
	bins map[string]*once
}

type once struct {
	sync.Once
	bin string
	err error
}

// BuildOnce is Build into a directory of its own in the system's temporary
// directory, once per test process for each pkg and flags: later calls
// return the same binary, or fail as the first did. The directory is not
// removed: the binary outlives the test that built it.
func BuildOnce(t testing.TB, pkg string, flags ...string) string {
	t.Helper()
	key := pkg + " " + strings.Join(flags, " ")
	built.mu.Lock()
	if built.bins == nil {
		built.bins = map[string]*once{}
	}
	o := built.bins[key]
	if o == nil {
		o = &once{}
		built.bins[key] = o
	}
	built.mu.Unlock()
	root := Root(t)
	o.Do(func() {
		dir, err := os.MkdirTemp("", "switchboard-bin")
		if err != nil {
			o.err = err
			return
		}
		o.bin, o.err = build(root, dir, pkg, flags)
	})
	if o.err != nil {
		t.Fatal(o.err)
	}
	return o.bin
}
