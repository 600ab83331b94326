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

// Membership recompute at issue 14 scale: 25 queues select members by
// expression. An agent change evaluates the 25 expressions over its
// attributes; a queue change evaluates one expression over 15,000 agents.
func benchAttrs(i int) map[string]any {
	return map[string]any{
		"skills": []any{"s" + string(rune('a'+i%25)), "s" + string(rune('a'+(i+7)%25)), "billing"},
		"level":  float64(i % 5), "team": []string{"blue", "red", "green"}[i%3],
	}
}

func benchExprs(b *testing.B) []*Expr {
	var out []*Expr
	for k := range 25 {
		e, err := Compile(`"s` + string(rune('a'+k)) + `" in skills and level >= 2`)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func BenchmarkRecomputeAgent(b *testing.B) {
	exprs := benchExprs(b)
	attrs := benchAttrs(3)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, e := range exprs {
			if e.Match(attrs) {
				n++
			}
		}
	}
	if n == 0 {
		b.Fatal("no match")
	}
}

func BenchmarkRecomputeQueue(b *testing.B) {
	e := benchExprs(b)[4]
	agents := make([]map[string]any, 15000)
	for i := range agents {
		agents[i] = benchAttrs(i)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, a := range agents {
			if e.Match(a) {
				n++
			}
		}
	}
	if n == 0 {
		b.Fatal("no match")
	}
}
