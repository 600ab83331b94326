// Package deptest checks a package's transitive imports against a list of
// forbidden ones, so the layering rules of STYLE.md hold (after tailscale's
// deptest).
package deptest

import (
	"maps"
	"os/exec"
	"strings"
	"testing"
)

// Check fails t if pkg (an import path, or "." for the package under test)
// depends, directly or not, on any key of bad. Each value says why it is
// forbidden. A key ending in "/..." forbids the package and its whole
// subtree.
func Check(t *testing.T, pkg string, bad map[string]string) {
	t.Helper()
	for _, dep := range deps(t, pkg) {
		for forbidden, why := range bad {
			root, tree := strings.CutSuffix(forbidden, "/...")
			if dep == root || (tree && strings.HasPrefix(dep, root+"/")) {
				t.Errorf("%s depends on %s: %s", pkg, dep, why)
			}
		}
	}
}

// deps is pkg and what it depends on, directly or not (go list -deps).
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// Merge is the union of rule sets; a later set's reason wins for a key in
// two.
func Merge(sets ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, s := range sets {
		maps.Copy(out, s)
	}
	return out
}
