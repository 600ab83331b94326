package web

import (
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
)

// realClient makes r.RemoteAddr the client's address when the request
// comes through a trusted reverse proxy (Config.TrustedProxies): the
// rightmost address of X-Forwarded-For that is not itself a trusted proxy
// (RFC 7239 §5.2 semantics; the left part of the header is the client's to
// forge). Everything downstream (websocket admission and login limits,
// logs) then sees the agent, not the proxy. Without trusted proxies, or
// from any other peer, the header is ignored.
func (s *Server) realClient(h http.Handler) http.Handler {
	if len(s.cfg.TrustedProxies) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := s.forwardedClient(r); ok {
			r2 := r.Clone(r.Context())
			r2.RemoteAddr = netip.AddrPortFrom(c, 0).String()
			r = r2
		}
		h.ServeHTTP(w, r)
	})
}

// forwardedClient returns the client named by X-Forwarded-For when the
// peer is a trusted proxy.
func (s *Server) forwardedClient(r *http.Request) (netip.Addr, bool) {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !s.trusted(peer.Addr().Unmap()) {
		return netip.Addr{}, false
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for _, h := range slices.Backward(hops) {
		h = strings.TrimSpace(h)
		if host, _, err := net.SplitHostPort(h); err == nil {
			h = host
		}
		a, err := netip.ParseAddr(strings.Trim(h, "[]"))
		if err != nil {
			return netip.Addr{}, false // garbage: keep the proxy's own address
		}
		if a = a.Unmap(); !s.trusted(a) {
			return a, true
		}
	}
	return netip.Addr{}, false
}

func (s *Server) trusted(a netip.Addr) bool {
	return slices.ContainsFunc(s.cfg.TrustedProxies, func(p netip.Prefix) bool { return p.Contains(a) })
}
