package ws

import (
	"encoding/json"
	"net/http"
)

// OriginCheck answers whether a page's origin may open this websocket, so
// a page whose websocket never opens can tell an origin refusal (the
// browser hides the 403 of the upgrade) from a gateway that is down
// (issue 17 item 5). Mount it on POST of the websocket's path: browsers
// send Origin on every POST (the page sets a referrer policy that keeps
// it). It answers 204 when the Origin is allowed, else 403 with
// {"reason": "origin not allowed", "origin": <the Origin>}.
func (h *Handler) OriginCheck() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if h.originAllowed(r) {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_ = json.NewEncoder(w).Encode(map[string]string{"reason": "origin not allowed", "origin": r.Header.Get("Origin")}) // the client went away: nothing to do
	})
}
