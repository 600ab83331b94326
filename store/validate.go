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

// CheckID checks that id is present and a ValidID, naming field.
func CheckID(field, id string) *ValidationError {
	if !idRE.MatchString(id) {
		if id == "" {
			return Invalid(field, "required")
		}
		return Invalid(field, "%q must match [a-z0-9._-]{1,64}", truncate(id))
	}
	return nil
}

// CheckName checks a display name: UTF-8, at most 128 characters, no controls.
func CheckName(name string) *ValidationError {
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > 128 {
		return Invalid("name", "must be valid UTF-8 of at most 128 characters")
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return Invalid("name", "must not contain control characters")
	}
	return nil
}

// CheckAgentStatic checks what can be checked of a without the database
// (ids, name, extension, capacity, queue ids); the implementation checks the rest.
func CheckAgentStatic(a *Agent) *ValidationError {
	if e := CheckID("id", a.ID); e != nil {
		return e
	}
	if e := CheckName(a.Name); e != nil {
		return e
	}
	if !extensionRE.MatchString(a.Extension) {
		if a.Extension == "" {
			return Invalid("extension", "required")
		}
		return Invalid("extension", "%q must be 2 to 8 digits", truncate(a.Extension))
	}
	if a.Capacity < 1 || a.Capacity > MaxCapacity {
		return Invalid("capacity", "%d out of range 1..%d", a.Capacity, MaxCapacity)
	}
	if e := CheckCallerID(a.CallerID); e != nil {
		return e
	}
	seen := map[string]bool{}
	for _, q := range a.Queues {
		if e := CheckID("queues", q); e != nil {
			return e
		}
		if seen[q] {
			return Invalid("queues", "%s listed twice", q)
		}
		seen[q] = true
	}
	return nil
}

// CheckQueueStatic checks what can be checked of q without the database.
func CheckQueueStatic(q *Queue) *ValidationError {
	if e := CheckID("id", q.ID); e != nil {
		return e
	}
	if e := CheckName(q.Name); e != nil {
		return e
	}
	if q.TimeoutSeconds < 1 || q.TimeoutSeconds > 3600 {
		return Invalid("timeout_seconds", "%d out of range 1..3600", q.TimeoutSeconds)
	}
	if q.WrapupSeconds < 0 || q.WrapupSeconds > 3600 {
		return Invalid("wrapup_seconds", "%d out of range 0..3600", q.WrapupSeconds)
	}
	if q.MaxWaitSeconds < 1 || q.MaxWaitSeconds > 86400 {
		return Invalid("max_wait_seconds", "%d out of range 1..86400", q.MaxWaitSeconds)
	}
	if q.Priority < -1000 || q.Priority > 1000 {
		return Invalid("priority", "%d out of range -1000..1000", q.Priority)
	}
	return nil
}

// ParseTarget checks a route target's form; for "queue:<id>" it returns
// the queue id to look up ("workflow:<id>" is checked by checkWorkflowTarget).
func ParseTarget(t string) (queue string, e *ValidationError) {
	switch {
	case strings.HasPrefix(t, "workflow:"):
		if id := strings.TrimPrefix(t, "workflow:"); !idRE.MatchString(id) {
			return "", Invalid("target", "workflow id %q must match [a-z0-9._-]{1,64}", truncate(id))
		}
		return "", nil
	case t == "echo" || t == "ivr:extension":
		return "", nil
	case strings.HasPrefix(t, "ivr:menu:"):
		if id := strings.TrimPrefix(t, "ivr:menu:"); !idRE.MatchString(id) {
			return "", Invalid("target", "menu id %q must match [a-z0-9._-]{1,64}", truncate(id))
		}
		return "", nil
	case strings.HasPrefix(t, "queue:"):
		id := strings.TrimPrefix(t, "queue:")
		if !idRE.MatchString(id) {
			return "", Invalid("target", "queue id %q must match [a-z0-9._-]{1,64}", truncate(id))
		}
		return id, nil
	case strings.HasPrefix(t, "extension:"):
		ext := strings.TrimPrefix(t, "extension:")
		if !extensionRE.MatchString(ext) {
			return "", Invalid("target", "extension %q must be 2 to 8 digits", truncate(ext))
		}
		return "", nil
	case t == "":
		return "", Invalid("target", "required")
	}
	return "", Invalid("target", "%q must be queue:<id>, workflow:<id>, extension:<ext>, ivr:extension, ivr:menu:<id> or echo", truncate(t))
}

// CheckNumber checks a route's dialled number.
func CheckNumber(n string) *ValidationError {
	if !numberRE.MatchString(n) {
		if n == "" {
			return Invalid("number", "required")
		}
		return Invalid("number", "%q must be 1 to 64 digits, letters or +*#._- (+ only first)", truncate(n))
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 70 {
		return s[:64] + "..."
	}
	return s
}
