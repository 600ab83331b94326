package trunk

import (
	"bytes"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// This file holds the checks above sipgo's parser. sipgo accepts some
// messages RFC 3261 calls invalid (see RFC 4475 §3.1.2) and silently drops
// others; the read filter answers invalid UDP requests itself with 400/505
// and drops invalid responses, so only sane messages reach the dialog layer.

// verdict of checkRaw.
type verdict struct {
	drop   bool     // discard silently
	code   int      // >0: answer with this status (the request is not passed on)
	reason string   // reason phrase for code
	data   []byte   // the message to hand to sipgo (trailing octets cut off)
	hdrs   []string // extra "Name: value" header lines of the answer to code
	invite bool     // data is an initial INVITE (no To tag): subject to -sip-rate
}

// maxMessage bounds what we accept in one datagram.
const maxMessage = 64 << 10

// readFilter is sipgo's transport read hook. For UDP it puts each datagram
// through Trunk.inspect and answers refused requests itself; stream
// transports are framed and checked by streamConn (stream.go) before sipgo
// reads them, so their bytes pass through here unchanged.
func (t *Trunk) readFilter(info sip.TransportReadProps, data []byte) ([]byte, error) {
	if info.Transport != "UDP" {
		return data, nil
	}
	var src netip.AddrPort
	if ua, ok := info.RemoteAddr.(*net.UDPAddr); ok {
		ap := ua.AddrPort()
		src = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	v := t.inspect("UDP", src, data)
	switch {
	case v.drop:
		return nil, nil
	case v.code > 0:
		if res := statelessResponse(data, v.code, v.reason, v.hdrs...); res != nil && info.RemoteAddr != nil {
			if _, err := t.udp.WriteTo(res, info.RemoteAddr); err != nil {
				t.log.Debug("sip stateless response", "err", err)
			}
		}
		return nil, nil
	}
	return v.data, nil
}

// inspect is the one check of every message received on any transport,
// before sipgo parses it: RFC 4475 sanity (checkRaw), then admission of
// initial INVITEs by their source's rate (-sip-rate: 503 before any port
// or call exists). It logs the message at debug.
func (t *Trunk) inspect(transport string, src netip.AddrPort, data []byte) verdict {
	t.out.logIn(data, transport, src.String())
	v := checkRaw(data)
	switch {
	case v.drop:
		t.log.Debug("sip message dropped", "transport", transport, "source", src.String(), "reason", v.reason)
	case v.code > 0:
		t.log.Info("sip request refused", "transport", transport, "source", src.String(), "code", v.code, "reason", v.reason)
	case v.invite && !t.rate.allow(src.Addr(), time.Now()):
		t.rateRefused.Add(1)
		t.log.Debug("invite refused: over -sip-rate", "transport", transport, "source", src.String())
		return verdict{code: 503, reason: "Service Unavailable", hdrs: []string{"Retry-After: 1"}}
	}
	return v
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// header is one unfolded header field.
type header struct{ name, value string }

// compact maps RFC 3261 §7.3.3 compact forms to full lower-case names.
var compact = map[string]string{
	"i": "call-id", "m": "contact", "e": "content-encoding", "l": "content-length",
	"c": "content-type", "f": "from", "s": "subject", "k": "supported", "t": "to", "v": "via",
}

// splitMessage splits a message into start line, unfolded headers and body.
// ok is false when there is no blank line ending the headers.
func splitMessage(data []byte) (start string, hdrs []header, body []byte, ok bool) {
	end := bytes.Index(data, []byte("\r\n\r\n"))
	var head []byte
	if end < 0 {
		head = data
	} else {
		head, body = data[:end], data[end+4:]
	}
	lines := strings.Split(string(head), "\r\n")
	start = lines[0]
	for _, l := range lines[1:] {
		if l == "" {
			continue
		}
		if (l[0] == ' ' || l[0] == '\t') && len(hdrs) > 0 { // RFC 3261 §7.3.1 line folding
			hdrs[len(hdrs)-1].value += " " + strings.TrimSpace(l)
			continue
		}
		name, value, found := strings.Cut(l, ":")
		if !found {
			hdrs = append(hdrs, header{name: "", value: l}) // not a header line
			continue
		}
		n := strings.ToLower(strings.TrimSpace(name))
		if full, ok := compact[n]; ok {
			n = full
		}
		hdrs = append(hdrs, header{name: n, value: strings.TrimSpace(value)})
	}
	return start, hdrs, body, end >= 0
}

func bad(reason string) verdict { return verdict{code: 400, reason: reason} }

// checkRaw validates one datagram.
func checkRaw(data []byte) verdict {
	if len(data) > maxMessage {
		return verdict{drop: true, reason: "too large"}
	}
	if len(bytes.Trim(data, "\r\n")) == 0 {
		return verdict{data: data} // keep-alive
	}
	start, hdrs, body, complete := splitMessage(data)
	if strings.HasPrefix(start, "SIP/") {
		if reason := checkResponse(start, hdrs); reason != "" {
			return verdict{drop: true, reason: reason}
		}
		return verdict{data: data}
	}
	parts := strings.Split(start, " ")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return dropACK(parts, bad("Malformed Request-Line"))
	}
	method, ruri, version := parts[0], parts[1], parts[2]
	if !isToken(method) {
		return dropACK(parts, bad("Malformed Method"))
	}
	if !strings.HasPrefix(version, "SIP/") {
		return dropACK(parts, bad("Malformed Request-Line"))
	}
	if version != "SIP/2.0" {
		return dropACK(parts, verdict{code: 505, reason: "Version Not Supported"})
	}
	if v := checkRequestURI(ruri); v.code != 0 {
		return dropACK(parts, v)
	}
	if !complete {
		return dropACK(parts, bad("Missing Empty Line After Headers"))
	}
	if v := checkHeaders(method, hdrs); v.code != 0 {
		return dropACK(parts, v)
	}
	// Content-Length (RFC 3261 §18.3, §20.14).
	var cl []string
	for _, h := range hdrs {
		if h.name == "content-length" {
			cl = append(cl, h.value)
		}
	}
	switch {
	case len(cl) > 1:
		return dropACK(parts, bad("Multiple Content-Length"))
	case len(cl) == 1:
		n, err := strconv.ParseUint(cl[0], 10, 31)
		if err != nil {
			return dropACK(parts, bad("Invalid Content-Length"))
		}
		if int(n) > len(body) {
			return dropACK(parts, bad("Content-Length Larger Than Message"))
		}
		// Trailing octets after the body are not part of the message.
		data = data[:len(data)-len(body)+int(n)]
	}
	return verdict{data: forceRport(data), invite: method == "INVITE" && !hasToTag(hdrs)}
}

// dropACK turns any error answer into a silent drop for ACK: an ACK is
// never answered (RFC 3261 §17.2.3).
// hasToTag reports whether the To header carries a tag (an in-dialog
// request).
func hasToTag(hdrs []header) bool {
	for _, h := range hdrs {
		if h.name == "to" {
			return strings.Contains(strings.ToLower(h.value), ";tag=")
		}
	}
	return false
}

func dropACK(parts []string, v verdict) verdict {
	if len(parts) > 0 && parts[0] == "ACK" {
		return verdict{drop: true, reason: v.reason}
	}
	return v
}

func checkResponse(start string, hdrs []header) string {
	parts := strings.SplitN(start, " ", 3)
	if len(parts) < 2 || parts[0] != "SIP/2.0" {
		return "malformed status line"
	}
	code, err := strconv.Atoi(parts[1])
	if err != nil || len(parts[1]) != 3 || code < 100 || code > 699 {
		return "invalid status code"
	}
	for _, h := range hdrs {
		if h.name == "cseq" {
			if _, _, ok := parseCSeq(h.value); !ok {
				return "invalid CSeq"
			}
		}
	}
	return ""
}

// checkRequestURI rejects a Request-URI in <>, with LWS, or with escaped
// headers (RFC 4475 §3.1.2.7, §3.1.2.8, §3.1.2.11).
func checkRequestURI(u string) verdict {
	if strings.ContainsAny(u, "<>\t") {
		return bad("Malformed Request-URI")
	}
	scheme, rest, ok := strings.Cut(u, ":")
	if !ok || scheme == "" {
		return bad("Malformed Request-URI")
	}
	switch strings.ToLower(scheme) {
	case "sip", "sips":
		host := rest
		if i := strings.LastIndex(rest, "@"); i >= 0 {
			host = rest[i+1:]
		}
		if strings.Contains(host, "?") {
			return bad("Headers Not Allowed In Request-URI")
		}
		if host == "" {
			return bad("Malformed Request-URI")
		}
	case "tel":
	default:
		return verdict{code: 416, reason: "Unsupported URI Scheme"}
	}
	return verdict{}
}

// singleValued headers may appear once (RFC 3261 §7.3.1, §20).
var singleValued = []string{"call-id", "cseq", "from", "to", "max-forwards", "content-type"}

func checkHeaders(method string, hdrs []header) verdict {
	count := map[string]int{}
	for _, h := range hdrs {
		if h.name == "" {
			return bad("Malformed Header")
		}
		count[h.name]++
	}
	for _, n := range []string{"via", "from", "to", "call-id", "cseq"} {
		if count[n] == 0 {
			return bad("Missing " + canonical(n))
		}
	}
	for _, n := range singleValued {
		if count[n] > 1 {
			return bad("Multiple " + canonical(n))
		}
	}
	for _, h := range hdrs {
		switch h.name {
		case "cseq":
			_, m, ok := parseCSeq(h.value)
			if !ok {
				return bad("Invalid CSeq")
			}
			if m != method {
				return bad("CSeq Method Mismatch")
			}
		case "max-forwards":
			if n, err := strconv.ParseUint(h.value, 10, 32); err != nil || n > 255 {
				return bad("Invalid Max-Forwards")
			}
		case "via":
			if !validVia(h.value) {
				return bad("Malformed Via")
			}
		case "from", "to":
			if !validNameAddr(h.value) {
				return bad("Malformed " + canonical(h.name))
			}
		case "contact":
			if h.value != "*" && !validContact(h.value) {
				return bad("Malformed Contact")
			}
		case "date":
			if !strings.HasSuffix(h.value, " GMT") {
				return bad("Invalid Date")
			}
		}
	}
	return verdict{}
}

func canonical(n string) string {
	switch n {
	case "call-id":
		return "Call-ID"
	case "cseq":
		return "CSeq"
	}
	parts := strings.Split(n, "-")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "-")
}

// parseCSeq parses "1234 INVITE": a 32-bit number (RFC 3261 §8.1.1.5) and a method.
func parseCSeq(v string) (uint32, string, bool) {
	f := strings.Fields(v)
	if len(f) != 2 {
		return 0, "", false
	}
	n, err := strconv.ParseUint(f[0], 10, 32)
	if err != nil || !isToken(f[1]) {
		return 0, "", false
	}
	return uint32(n), f[1], true
}

// validVia checks each Via value: "SIP/2.0/transport sent-by" and non-empty
// parameters; a bare "z9hG4bK" branch identifies no transaction (RFC 4475 §3.2.1).
func validVia(v string) bool {
	for val := range strings.SplitSeq(v, ",") {
		params := strings.Split(val, ";")
		proto := strings.Join(strings.Fields(params[0]), "")
		pf := strings.Split(proto, "/")
		if len(pf) < 3 || !strings.EqualFold(pf[0], "SIP") || pf[1] != "2.0" || len(strings.Fields(params[0])) == 0 {
			return false
		}
		for _, p := range params[1:] {
			p = strings.TrimSpace(p)
			if p == "" {
				return false
			}
			k, val, _ := strings.Cut(p, "=")
			if strings.EqualFold(strings.TrimSpace(k), "branch") && strings.TrimSpace(val) == "z9hG4bK" {
				return false
			}
		}
	}
	return true
}

// validNameAddr checks a From/To value: balanced quotes, a display name of
// tokens or a quoted string, and an addr-spec in <> without LWS at its ends.
func validNameAddr(v string) bool {
	display, rest, ok := splitDisplay(v)
	if !ok {
		return false
	}
	if rest == "" {
		return display == "" // no <...>: v was a bare addr-spec, checked by splitDisplay
	}
	if strings.HasPrefix(rest, "< ") || strings.Contains(rest[:strings.IndexByte(rest, '>')+1], " >") {
		return false
	}
	if display != "" && display[0] != '"' {
		for f := range strings.FieldsSeq(display) {
			if !isToken(f) {
				return false
			}
		}
	}
	return true
}

// splitDisplay returns the display name and the part from '<' on. For a
// value without '<', rest is "" and ok says whether it looked sane.
func splitDisplay(v string) (display, rest string, ok bool) {
	inQuote, esc := false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case esc:
			esc = false
		case inQuote && c == '\\':
			esc = true
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == '<':
			if strings.IndexByte(v[i:], '>') < 0 {
				return "", "", false
			}
			return strings.TrimSpace(v[:i]), v[i:], true
		}
	}
	if inQuote {
		return "", "", false
	}
	return "", "", !strings.ContainsAny(v, "\"")
}

// validContact checks each Contact value; one outside <> may not carry
// URI headers or params ambiguity ('?', RFC 4475 §3.1.2.13).
func validContact(v string) bool {
	display, rest, ok := splitDisplay(v)
	if !ok {
		return false
	}
	if rest == "" && display == "" {
		addr, _, _ := strings.Cut(v, ";")
		return !strings.Contains(addr, "?")
	}
	return true
}

// isToken reports whether s is an RFC 3261 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("-.!%*_+`'~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// statelessResponse builds a response to the raw request data, copying
// Via, From, To, Call-ID and CSeq (RFC 3261 §8.2.6.2). It returns nil when
// there is no Via to answer to. extra are added "Name: value" lines.
func statelessResponse(data []byte, code int, reason string, extra ...string) []byte {
	_, hdrs, _, _ := splitMessage(data)
	var b bytes.Buffer
	b.WriteString("SIP/2.0 " + strconv.Itoa(code) + " " + reason + "\r\n")
	hasVia := false
	for _, h := range hdrs {
		switch h.name {
		case "via":
			hasVia = true
			b.WriteString("Via: " + h.value + "\r\n")
		case "from", "call-id", "cseq":
			b.WriteString(canonical(h.name) + ": " + h.value + "\r\n")
		case "to":
			v := h.value
			if !strings.Contains(strings.ToLower(v), "tag=") {
				v += ";tag=sb" + strconv.FormatUint(uint64(len(data))*2654435761%1000000007, 36)
			}
			b.WriteString("To: " + v + "\r\n")
		}
	}
	if !hasVia {
		return nil
	}
	if code == 405 || code == 501 {
		b.WriteString("Allow: " + allowMethods + "\r\n")
	}
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("Content-Length: 0\r\n\r\n") // Server: added on the way out (wire.go)
	return b.Bytes()
}

// checkRequest applies the checks every request we serve needs after
// parsing: RFC 3261 §8.2.2 (Require) and URI scheme. It returns 0 when the
// request may proceed.
func checkRequest(req *sip.Request) (int, string, []sip.Header) {
	switch strings.ToLower(req.Recipient.Scheme) {
	case "sip", "sips", "tel", "":
	default:
		return 416, "Unsupported URI Scheme", nil
	}
	if req.Method != sip.ACK && req.Method != sip.CANCEL {
		var unsupported []string
		for _, h := range req.GetHeaders("Require") {
			for o := range strings.SplitSeq(h.Value(), ",") {
				if o = strings.TrimSpace(o); o != "" && !supportedOption(o) { // timers.go
					unsupported = append(unsupported, o)
				}
			}
		}
		if len(unsupported) > 0 {
			return 420, "Bad Extension", []sip.Header{sip.NewHeader("Unsupported", strings.Join(unsupported, ", "))}
		}
	}
	return 0, "", nil
}

// checkInvite adds the INVITE checks: a body we understand (415), an
// Accept that lets us answer with SDP (406).
func checkInvite(req *sip.Request) (int, string, []sip.Header) {
	if code, reason, hdrs := checkRequest(req); code != 0 {
		return code, reason, hdrs
	}
	if len(req.Body()) > 0 {
		ct := ""
		if h := req.ContentType(); h != nil {
			ct = strings.ToLower(strings.TrimSpace(strings.Split(h.Value(), ";")[0]))
		}
		if ct != "application/sdp" {
			return 415, "Unsupported Media Type", []sip.Header{sip.NewHeader("Accept", "application/sdp")}
		}
	}
	if hs := req.GetHeaders("Accept"); len(hs) > 0 {
		ok := false
		for _, h := range hs {
			for a := range strings.SplitSeq(h.Value(), ",") {
				a = strings.ToLower(strings.TrimSpace(strings.Split(a, ";")[0]))
				if a == "application/sdp" || a == "application/*" || a == "*/*" || a == "" {
					ok = true
				}
			}
		}
		if !ok {
			return 406, "Not Acceptable", []sip.Header{sip.NewHeader("Accept", "application/sdp")}
		}
	}
	if req.Contact() == nil {
		return 400, "Missing Contact", nil
	}
	return 0, "", nil
}

// forceRport adds ";rport" to the top Via of a request (RFC 3581 §4, as
// SBCs' force_rport does): sipgo then answers to the packet's source
// address and port rather than the Via's sent-by port, which a NATed or
// multi-socket peer does not listen on.
func forceRport(data []byte) []byte {
	end := bytes.Index(data, []byte("\r\n\r\n"))
	if end < 0 {
		return data
	}
	lineStart := bytes.Index(data, []byte("\r\n")) + 2
	for lineStart < end {
		lineEnd := lineStart + bytes.Index(data[lineStart:], []byte("\r\n"))
		name, _, ok := bytes.Cut(data[lineStart:lineEnd], []byte(":"))
		n := strings.ToLower(strings.TrimSpace(string(name)))
		if ok && (n == "via" || n == "v") {
			// The header value runs to the first CRLF not followed by LWS.
			valEnd := lineEnd
			for valEnd < end && (data[valEnd+2] == ' ' || data[valEnd+2] == '\t') {
				valEnd = valEnd + 2 + bytes.Index(data[valEnd+2:], []byte("\r\n"))
			}
			colon := lineStart + len(name) + 1
			val := data[colon:valEnd]
			first := val
			if i := bytes.IndexByte(val, ','); i >= 0 {
				first = val[:i]
			}
			if bytes.Contains(bytes.ToLower(first), []byte("rport")) {
				return data
			}
			var at int
			if i := bytes.IndexByte(first, ';'); i >= 0 {
				at = colon + i
			} else {
				at = colon + len(bytes.TrimRight(first, " \t\r\n"))
			}
			out := make([]byte, 0, len(data)+6)
			out = append(out, data[:at]...)
			out = append(out, ";rport"...)
			return append(out, data[at:]...)
		}
		lineStart = lineEnd + 2
	}
	return data
}
