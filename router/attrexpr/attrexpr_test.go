package attrexpr

import (
	"errors"
	"testing"
)

func TestMatch(t *testing.T) {
	agent := map[string]any{"skills": []any{"spanish", "billing"}, "level": 3.0, "team": "blue"}
	tests := []struct {
		src   string
		attrs map[string]any
		want  bool
	}{
		{`"spanish" in skills and level >= 2`, agent, true},
		{`"french" in skills`, agent, false},
		{`level >= 4`, agent, false},
		{`team == "blue"`, agent, true},
		// Missing attributes make the expression false, never an error.
		{`"spanish" in skills and level >= 2`, map[string]any{}, false},
		{`level >= 2`, map[string]any{"skills": []any{}}, false},
		{`"x" in skills`, nil, false},
		{`vip`, map[string]any{}, false},
		{`vip == true`, map[string]any{"vip": true}, true},
		{`ivr.main == "1"`, map[string]any{"ivr": map[string]any{"main": "1"}}, true},
		{`ivr.main == "1"`, map[string]any{}, false},
		// Type mismatch at run time: false.
		{`level >= 2`, map[string]any{"level": "high"}, false},
		// A missing attribute makes the whole expression false, even under not.
		{`not (level >= 2)`, map[string]any{}, false},
		{`not (level >= 2)`, map[string]any{"level": 1.0}, true},
	}
	for _, tc := range tests {
		e, err := Compile(tc.src)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tc.src, err)
		}
		if got := e.Match(tc.attrs); got != tc.want {
			t.Errorf("%q over %v = %v, want %v", tc.src, tc.attrs, got, tc.want)
		}
	}
}

func TestCompileRefuses(t *testing.T) {
	for _, src := range []string{"", "   ", `level >=`, `"a" in`, `1 + 2`, `"str"`, `foo(`} {
		if _, err := Compile(src); !errors.Is(err, ErrInvalid) {
			t.Errorf("Compile(%q) = %v, want ErrInvalid", src, err)
		} else if err.Error() == "" {
			t.Errorf("Compile(%q): empty reason", src)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	e, err := Compile(`"spanish" in skills and level >= 2`)
	if err != nil {
		b.Fatal(err)
	}
	attrs := map[string]any{"skills": []any{"spanish", "billing"}, "level": 3.0}
	b.ReportAllocs()
	for b.Loop() {
		if !e.Match(attrs) {
			b.Fatal("no match")
		}
	}
}
