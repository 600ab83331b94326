package trunk

import (
	"bytes"
	"strings"
)

// parseINFODigit reads the digit of a SIP INFO DTMF body:
// application/dtmf-relay ("Signal=5\r\nDuration=160") or application/dtmf
// ("5"). Digits are 0-9, *, #, A-D; 10 and 11 mean * and # (some gateways).
func parseINFODigit(contentType string, body []byte) (rune, bool) {
	var v string
	if contentType == "application/dtmf" {
		v = string(bytes.TrimSpace(body))
	} else {
		for line := range strings.Lines(string(body)) {
			k, val, ok := strings.Cut(line, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "signal") {
				v = strings.TrimSpace(val)
				break
			}
		}
	}
	switch v {
	case "10":
		return '*', true
	case "11":
		return '#', true
	}
	if len(v) != 1 {
		return 0, false
	}
	d := rune(v[0])
	switch {
	case d >= '0' && d <= '9', d == '*', d == '#':
		return d, true
	case d >= 'A' && d <= 'D':
		return d, true
	case d >= 'a' && d <= 'd':
		return d - 'a' + 'A', true
	}
	return 0, false
}
