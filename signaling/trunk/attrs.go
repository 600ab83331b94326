package trunk

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emiago/sipgo/sip"
)

// Call attributes an inbound INVITE gives the router (PROTOCOL §10): the
// caller's display name, the INVITE's X- headers and the carrier (trunk)
// the call came in on. All are bounded, so a hostile INVITE cannot grow a
// call's attributes past a few KiB.
const (
	MaxCallerNameBytes = 128 // a longer display name is cut (on a rune boundary)
	MaxXHeaders        = 32  // X- headers kept per call; the rest are dropped
	MaxXHeaderBytes    = 256 // bytes kept of one X- header's value
)

// XHeaders are the INVITE's X- headers by name as sent (the first value of
// a repeated one), at most MaxXHeaders of MaxXHeaderBytes each. Nil for
// outbound calls.
func (c *Call) XHeaders() map[string]string { return c.xHeaders }

// TrunkID is the id of the carrier (trunk.put) the inbound call came
// from, "" when it matched none.
func (c *Call) TrunkID() string {
	if c.slot == nil || c.slot.c == nil {
		return ""
	}
	return c.slot.c.cfg.ID
}

// readAttributes fills the caller name (CallerName: the From header's
// display name, unquoted, without control characters, at most
// MaxCallerNameBytes) and X- headers of an inbound call.
func (c *Call) readAttributes(req *sip.Request) {
	if f := req.From(); f != nil {
		c.callerName = cleanText(strings.ReplaceAll(strings.ReplaceAll(f.DisplayName, `\"`, `"`), `\\`, `\`), MaxCallerNameBytes)
	}
	for _, h := range req.Headers() {
		name := h.Name()
		if len(name) < 3 || !strings.EqualFold(name[:2], "x-") {
			continue
		}
		if c.xHeaders == nil {
			c.xHeaders = map[string]string{}
		}
		if _, dup := c.xHeaders[name]; dup {
			continue
		}
		if len(c.xHeaders) == MaxXHeaders {
			c.log.Info("x- headers beyond the limit dropped", "limit", MaxXHeaders)
			break
		}
		c.xHeaders[name] = cleanText(h.Value(), MaxXHeaderBytes)
	}
}

// cleanText drops control characters and invalid UTF-8 from s, trims it
// and cuts it to at most n bytes on a rune boundary.
func cleanText(s string, n int) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		if r == utf8.RuneError || unicode.IsControl(r) {
			continue
		}
		if b.Len()+utf8.RuneLen(r) > n {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}
