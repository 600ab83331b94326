package agent

import "testing"

// PROTOCOL §14: a route written in E.164 matches the number with or
// without its +; a route without + matches a +number too.
func TestResolveE164(t *testing.T) {
	c := &Core{routes: map[string]string{"+4930123": "queue:sales", "5551000": "echo"}, byExt: map[string]*agentRT{}}
	for _, tc := range []struct {
		name, number, want string
	}{
		{"e164 as written", "+4930123", "queue"},
		{"without +", "4930123", "queue"},
		{"+ added to a plain route", "+5551000", "echo"},
		{"plain", "5551000", "echo"},
		{"unknown", "4930124", ""},
		{"not a number", "sales", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.resolveLocked(tc.number).kind; got != tc.want {
				t.Errorf("resolveLocked(%q).kind = %q, want %q", tc.number, got, tc.want)
			}
		})
	}
}
