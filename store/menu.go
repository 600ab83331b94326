package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Menu is an IVR menu (PROTOCOL §10): the caller hears Prompt and presses
// one digit; Options maps each digit to a target and the attributes the
// call gains by choosing it. A wrong digit or none within TimeoutSeconds
// re-prompts; after Retries tries the call goes to Fallback, or hears the
// goodbye announcement and BYE when there is none.
type Menu struct {
	ID             string                `json:"id"`
	Name           string                `json:"name"`
	Prompt         string                `json:"prompt"`
	Options        map[string]MenuOption `json:"options"`
	TimeoutSeconds int                   `json:"timeout_seconds"`
	Retries        int                   `json:"retries"`
	Fallback       string                `json:"fallback,omitempty"`
}

// MenuOption is what one digit of a menu does.
type MenuOption struct {
	Target     string         `json:"target"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

// Menu limits and defaults.
const (
	DefaultMenuTimeoutSeconds = 5
	DefaultMenuRetries        = 3
	MaxMenuTimeoutSeconds     = 60
	MaxMenuRetries            = 10
)

// MenuDigits are the keys a menu option may have.
const MenuDigits = "0123456789*#"

// MenuStore persists menus. The SQLite store implements it.
type MenuStore interface {
	PutMenu(ctx context.Context, m Menu) (Menu, error)
	GetMenu(ctx context.Context, id string) (Menu, error)
	DeleteMenu(ctx context.Context, id string) error
	ListMenus(ctx context.Context) ([]Menu, error)
}

// NormalizeMenu applies defaults and checks m. Targets are checked for
// form (ParseTarget; echo is refused); that the queues, workflows and
// menus they name exist is the store's check, the prompt's the console's.
func NormalizeMenu(m *Menu) *ValidationError {
	if e := CheckID("id", m.ID); e != nil {
		return e
	}
	if m.Name == "" {
		m.Name = m.ID
	}
	if e := CheckName(m.Name); e != nil {
		return e
	}
	if m.Prompt == "" {
		return Invalid("prompt", "required")
	}
	if e := CheckID("prompt", m.Prompt); e != nil {
		return e
	}
	if len(m.Options) == 0 {
		return Invalid("options", "at least one option")
	}
	for _, d := range m.SortedDigits() {
		field := fmt.Sprintf("options.%s", d)
		if len(d) != 1 || !strings.Contains(MenuDigits, d) {
			return Invalid("options", "key %q must be one digit of %s", truncate(d), MenuDigits)
		}
		o := m.Options[d]
		if e := checkMenuTarget(field+".target", o.Target); e != nil {
			return e
		}
		if o.Attributes != nil {
			if _, ok := o.Attributes["channel"]; ok {
				return Invalid(field+".attributes", "channel cannot be set by a menu")
			}
			if b, err := json.Marshal(o.Attributes); err != nil {
				return Invalid(field+".attributes", "%v", err)
			} else if len(b) > MaxAttributesBytes {
				return Invalid(field+".attributes", "%d bytes, at most %d", len(b), MaxAttributesBytes)
			}
		}
	}
	if m.TimeoutSeconds == 0 {
		m.TimeoutSeconds = DefaultMenuTimeoutSeconds
	}
	if m.TimeoutSeconds < 1 || m.TimeoutSeconds > MaxMenuTimeoutSeconds {
		return Invalid("timeout_seconds", "%d out of range 1..%d", m.TimeoutSeconds, MaxMenuTimeoutSeconds)
	}
	if m.Retries == 0 {
		m.Retries = DefaultMenuRetries
	}
	if m.Retries < 1 || m.Retries > MaxMenuRetries {
		return Invalid("retries", "%d out of range 1..%d", m.Retries, MaxMenuRetries)
	}
	if m.Fallback != "" {
		if e := checkMenuTarget("fallback", m.Fallback); e != nil {
			return e
		}
	}
	return nil
}

func checkMenuTarget(field, t string) *ValidationError {
	if t == "echo" {
		return Invalid(field, "echo is not a menu target")
	}
	if _, e := ParseTarget(t); e != nil {
		e.Field = field
		return e
	}
	return nil
}

// SortedDigits are m's option keys in MenuDigits order (others last).
func (m Menu) SortedDigits() []string {
	ds := make([]string, 0, len(m.Options))
	for d := range m.Options {
		ds = append(ds, d)
	}
	slices.SortFunc(ds, func(a, b string) int {
		ia, ib := strings.Index(MenuDigits, a), strings.Index(MenuDigits, b)
		if ia < 0 || len(a) != 1 {
			ia = len(MenuDigits)
		}
		if ib < 0 || len(b) != 1 {
			ib = len(MenuDigits)
		}
		if ia != ib {
			return ia - ib
		}
		return strings.Compare(a, b)
	})
	return ds
}

// Targets returns every target m names (options in digit order, then the
// fallback).
func (m Menu) Targets() []string {
	var out []string
	for _, d := range m.SortedDigits() {
		out = append(out, m.Options[d].Target)
	}
	if m.Fallback != "" {
		out = append(out, m.Fallback)
	}
	return out
}
