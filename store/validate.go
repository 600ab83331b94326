package store

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	idRE        = regexp.MustCompile(`^[a-z0-9._-]{1,64}$`)
	extensionRE = regexp.MustCompile(`^[0-9]{2,8}$`)
	numberRE    = regexp.MustCompile(`^\+?[0-9A-Za-z*#._-]{1,64}$`)
)

// ValidID reports whether s is a valid agent or queue id.
func ValidID(s string) bool { return idRE.MatchString(s) }

// ValidExtension reports whether s is a valid extension (2 to 8 digits).
func ValidExtension(s string) bool { return extensionRE.MatchString(s) }

func checkID(field, id string) *ValidationError {
	if !idRE.MatchString(id) {
		if id == "" {
			return invalid(field, "required")
		}
		return invalid(field, "%q must match [a-z0-9._-]{1,64}", truncate(id))
	}
	return nil
}

func checkName(name string) *ValidationError {
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > 128 {
		return invalid("name", "must be valid UTF-8 of at most 128 characters")
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return invalid("name", "must not contain control characters")
	}
	return nil
}

func checkAgentStatic(a *Agent) *ValidationError {
	if e := checkID("id", a.ID); e != nil {
		return e
	}
	if e := checkName(a.Name); e != nil {
		return e
	}
	if !extensionRE.MatchString(a.Extension) {
		if a.Extension == "" {
			return invalid("extension", "required")
		}
		return invalid("extension", "%q must be 2 to 8 digits", truncate(a.Extension))
	}
	if a.Capacity < 1 || a.Capacity > MaxCapacity {
		return invalid("capacity", "%d out of range 1..%d", a.Capacity, MaxCapacity)
	}
	if e := CheckCallerID(a.CallerID); e != nil {
		return e
	}
	seen := map[string]bool{}
	for _, q := range a.Queues {
		if e := checkID("queues", q); e != nil {
			return e
		}
		if seen[q] {
			return invalid("queues", "%s listed twice", q)
		}
		seen[q] = true
	}
	return nil
}

func checkQueueStatic(q *Queue) *ValidationError {
	if e := checkID("id", q.ID); e != nil {
		return e
	}
	if e := checkName(q.Name); e != nil {
		return e
	}
	if q.TimeoutSeconds < 1 || q.TimeoutSeconds > 3600 {
		return invalid("timeout_seconds", "%d out of range 1..3600", q.TimeoutSeconds)
	}
	if q.WrapupSeconds < 0 || q.WrapupSeconds > 3600 {
		return invalid("wrapup_seconds", "%d out of range 0..3600", q.WrapupSeconds)
	}
	if q.MaxWaitSeconds < 1 || q.MaxWaitSeconds > 86400 {
		return invalid("max_wait_seconds", "%d out of range 1..86400", q.MaxWaitSeconds)
	}
	if q.Priority < -1000 || q.Priority > 1000 {
		return invalid("priority", "%d out of range -1000..1000", q.Priority)
	}
	return nil
}

// parseTarget checks a route target's form; for "queue:<id>" it returns
// the queue id to look up ("workflow:<id>" is checked by checkWorkflowTarget).
func parseTarget(t string) (queue string, e *ValidationError) {
	switch {
	case strings.HasPrefix(t, "workflow:"):
		if id := strings.TrimPrefix(t, "workflow:"); !idRE.MatchString(id) {
			return "", invalid("target", "workflow id %q must match [a-z0-9._-]{1,64}", truncate(id))
		}
		return "", nil
	case t == "echo" || t == "ivr:extension":
		return "", nil
	case strings.HasPrefix(t, "queue:"):
		id := strings.TrimPrefix(t, "queue:")
		if !idRE.MatchString(id) {
			return "", invalid("target", "queue id %q must match [a-z0-9._-]{1,64}", truncate(id))
		}
		return id, nil
	case strings.HasPrefix(t, "extension:"):
		ext := strings.TrimPrefix(t, "extension:")
		if !extensionRE.MatchString(ext) {
			return "", invalid("target", "extension %q must be 2 to 8 digits", truncate(ext))
		}
		return "", nil
	case t == "":
		return "", invalid("target", "required")
	}
	return "", invalid("target", "%q must be queue:<id>, workflow:<id>, extension:<ext>, ivr:extension or echo", truncate(t))
}

func checkNumber(n string) *ValidationError {
	if !numberRE.MatchString(n) {
		if n == "" {
			return invalid("number", "required")
		}
		return invalid("number", "%q must be 1 to 64 digits, letters or +*#._- (+ only first)", truncate(n))
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 70 {
		return s[:64] + "..."
	}
	return s
}
