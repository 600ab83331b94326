package store

import (
	"context"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Trunk defaults and limits (PROTOCOL.md section 9).
const (
	DefaultTrunkID         = "default" // the trunk the -trunk* flags define
	DefaultRegisterExpires = 3600      // seconds asked for in REGISTER
	MaxTrunkPrefixes       = 100
	MaxTrunkAllow          = 64
	MaxTrunkCalls          = 100000
)

// Trunk is a carrier's configuration: where its SIP server is, how we
// authenticate to it, which numbers it takes and which sources it may
// send calls from. Live state (registration, calls) is not stored.
type Trunk struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	Host            string   `json:"host"`             // IP address or DNS name
	Port            int      `json:"port"`             // 0 means 5060 (5061 for tls)
	Transport       string   `json:"transport"`        // udp, tcp or tls; "" on write means udp
	Username        string   `json:"username"`         // digest username (and REGISTER user)
	Password        string   `json:"-"`                // digest password; never marshalled; "" on write keeps the current one
	HasPassword     bool     `json:"has_password"`     // a password is stored (read only)
	Register        bool     `json:"register"`         // send REGISTER to Host
	RegisterExpires int      `json:"register_expires"` // seconds asked for; 0 on write means 3600
	CallerID        string   `json:"caller_id"`        // From user of outbound calls when the agent has none
	Prefixes        []string `json:"prefixes"`         // numbers this trunk takes; empty = every number; never nil on read
	Priority        int      `json:"priority"`         // lower is tried first among equal prefixes
	Allow           []string `json:"allow"`            // CIDRs allowed to send INVITEs; never nil on read
	SRTP            string   `json:"srtp"`             // off, optional or required; "" on write means off
	MaxCalls        int      `json:"max_calls"`        // calls at once through this trunk; 0 = no limit
}

// TrunkStore persists trunks. The SQLite store implements it.
type TrunkStore interface {
	PutTrunk(ctx context.Context, t Trunk) (Trunk, error)
	GetTrunk(ctx context.Context, id string) (Trunk, error)
	DeleteTrunk(ctx context.Context, id string) error
	ListTrunks(ctx context.Context) ([]Trunk, error)
}

var (
	hostRE   = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,62})?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,62})?\.?$`)
	prefixRE = regexp.MustCompile(`^\+?[0-9*#]{1,32}$`)
)

// NormalizeTrunk applies the defaults of a write (transport udp, srtp off,
// register_expires 3600, empty name = id, nil lists = empty) and checks
// every field. It needs no database; PutTrunk calls it.
func NormalizeTrunk(t *Trunk) *ValidationError {
	if e := CheckID("id", t.ID); e != nil {
		return e
	}
	if t.Name == "" {
		t.Name = t.ID
	}
	if e := CheckName(t.Name); e != nil {
		return e
	}
	t.Host = strings.TrimSpace(t.Host)
	switch {
	case t.Host == "":
		return Invalid("host", "required")
	case len(t.Host) > 253:
		return Invalid("host", "longer than 253 characters")
	}
	if ip, err := netip.ParseAddr(strings.Trim(t.Host, "[]")); err == nil {
		t.Host = ip.Unmap().String()
	} else if !hostRE.MatchString(t.Host) {
		return Invalid("host", "%q is not an IP address or host name", truncate(t.Host))
	}
	if t.Port < 0 || t.Port > 65535 {
		return Invalid("port", "%d out of range 0..65535", t.Port)
	}
	if err := oneOf("transport", &t.Transport, "udp", "tcp", "tls"); err != nil {
		return err
	}
	if e := checkToken("username", t.Username); e != nil {
		return e
	}
	if len(t.Password) > 256 || strings.IndexFunc(t.Password, unicode.IsControl) >= 0 {
		return Invalid("password", "at most 256 characters, no control characters")
	}
	if t.RegisterExpires == 0 {
		t.RegisterExpires = DefaultRegisterExpires
	}
	if t.RegisterExpires < 10 || t.RegisterExpires > 86400 {
		return Invalid("register_expires", "%d out of range 10..86400", t.RegisterExpires)
	}
	if e := CheckCallerID(t.CallerID); e != nil {
		return e
	}
	if t.Prefixes == nil {
		t.Prefixes = []string{}
	}
	if len(t.Prefixes) > MaxTrunkPrefixes {
		return Invalid("prefixes", "more than %d", MaxTrunkPrefixes)
	}
	seen := map[string]bool{}
	for _, p := range t.Prefixes {
		if !prefixRE.MatchString(p) {
			return Invalid("prefixes", "%q must be 1 to 32 digits, * or # (+ only first)", truncate(p))
		}
		if seen[p] {
			return Invalid("prefixes", "%s listed twice", p)
		}
		seen[p] = true
	}
	if t.Priority < -1000 || t.Priority > 1000 {
		return Invalid("priority", "%d out of range -1000..1000", t.Priority)
	}
	if t.Allow == nil {
		t.Allow = []string{}
	}
	if len(t.Allow) > MaxTrunkAllow {
		return Invalid("allow", "more than %d", MaxTrunkAllow)
	}
	for i, s := range t.Allow {
		p, err := ParsePrefix(s)
		if err != nil {
			return Invalid("allow", "%q is not a CIDR (e.g. 192.0.2.0/24) or IP address", truncate(s))
		}
		t.Allow[i] = p.String()
	}
	if err := oneOf("srtp", &t.SRTP, "off", "optional", "required"); err != nil {
		return err
	}
	if t.MaxCalls < 0 || t.MaxCalls > MaxTrunkCalls {
		return Invalid("max_calls", "%d out of range 0..%d", t.MaxCalls, MaxTrunkCalls)
	}
	t.HasPassword = t.Password != ""
	return nil
}

// ParsePrefix accepts a CIDR or a bare IP address (a /32 or /128).
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return p.Masked(), nil
}

// checkToken refuses spaces, control characters and SIP delimiters in a
// value that goes into a header (usernames, caller IDs).
func checkToken(field, s string) *ValidationError {
	if len(s) > 128 {
		return Invalid(field, "longer than 128 characters")
	}
	if strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || unicode.IsSpace(r) || strings.ContainsRune(`<>"@:;,\`, r)
	}) {
		return Invalid(field, "%q must not contain spaces, control characters or <>\"@:;,\\", truncate(s))
	}
	return nil
}

// CheckCallerID checks an agent's or trunk's caller ID ("" is allowed:
// none).
func CheckCallerID(s string) *ValidationError {
	if s != "" && !numberRE.MatchString(s) {
		return Invalid("caller_id", "%q must be 1 to 64 digits, letters or +*#._- (+ only first)", truncate(s))
	}
	return nil
}

// oneOf lowercases *v and checks that it is one of values; empty means the
// first, the default.
func oneOf(field string, v *string, values ...string) *ValidationError {
	*v = strings.ToLower(*v)
	if *v == "" {
		*v = values[0]
	}
	if slices.Contains(values, *v) {
		return nil
	}
	last := len(values) - 1
	return Invalid(field, "%q must be %s or %s", truncate(*v), strings.Join(values[:last], ", "), values[last])
}
