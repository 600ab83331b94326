package trunktest

import (
	"crypto/md5"
	"encoding/hex"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// checkDigest verifies a request's Authorization digest (RFC 2617, MD5,
// with or without qop=auth; Proxy-Authorization when proxy) against realm,
// user, password and nonce.
func checkDigest(req *sip.Request, method string, proxy bool, realm, user, password, nonce string) bool {
	name := "Authorization"
	if proxy {
		name = "Proxy-Authorization"
	}
	h := req.GetHeader(name)
	if h == nil {
		return false
	}
	v, ok := strings.CutPrefix(strings.TrimSpace(h.Value()), "Digest ")
	if !ok {
		return false
	}
	p := map[string]string{}
	for part := range strings.SplitSeq(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			p[strings.ToLower(k)] = strings.Trim(val, `"`)
		}
	}
	if p["username"] != user || p["realm"] != realm || p["nonce"] != nonce {
		return false
	}
	md := func(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }
	ha1 := md(user + ":" + realm + ":" + password)
	ha2 := md(method + ":" + p["uri"])
	want := md(ha1 + ":" + p["nonce"] + ":" + ha2)
	if p["qop"] != "" {
		want = md(ha1 + ":" + p["nonce"] + ":" + p["nc"] + ":" + p["cnonce"] + ":" + p["qop"] + ":" + ha2)
	}
	return p["response"] == want
}
