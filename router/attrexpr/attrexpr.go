// Package attrexpr compiles the attribute expressions of PROTOCOL.md
// section 10 (a queue's target_workers, a workflow filter's expression)
// with github.com/expr-lang/expr, once, and evaluates them over an
// attributes object.
//
// Contract: Compile refuses an expression that does not parse or cannot
// yield a boolean, with an error fit for a -32602 reason. Match never
// fails: an attribute that the object lacks, a type mismatch, or any other
// runtime error makes the expression false. A compiled Expr is safe for
// concurrent use and satisfies router.Matcher.
package attrexpr

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// vms reuses expr's virtual machines (a VM is not safe for concurrent use;
// a pooled one is used by one Match at a time).
var vms = sync.Pool{New: func() any { return new(vm.VM) }}

// MaxLen bounds an expression's source.
const MaxLen = 4096

// ErrInvalid wraps every Compile refusal.
var ErrInvalid = errors.New("invalid expression")

// Expr is a compiled expression.
type Expr struct {
	src  string
	prog *vm.Program
}

// Compile compiles src. An empty (or blank) src is refused; callers treat
// "no expression" themselves.
func Compile(src string) (*Expr, error) {
	if strings.TrimSpace(src) == "" {
		return nil, fmt.Errorf("%w: empty", ErrInvalid)
	}
	if len(src) > MaxLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrInvalid, MaxLen)
	}
	prog, err := expr.Compile(src, expr.AllowUndefinedVariables(), expr.AsBool())
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, oneLine(err.Error()))
	}
	return &Expr{src: src, prog: prog}, nil
}

// String returns the source.
func (e *Expr) String() string { return e.src }

// Match evaluates the expression over attrs; false on any failure.
func (e *Expr) Match(attrs map[string]any) (ok bool) {
	if e == nil {
		return false
	}
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	if attrs == nil {
		attrs = map[string]any{}
	}
	m := vms.Get().(*vm.VM)
	out, err := m.Run(e.prog, attrs)
	vms.Put(m)
	if err != nil {
		return false
	}
	b, _ := out.(bool)
	return b
}

func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}
