package softphone

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"switchboard/agent"
)

// DefaultTURNTTL is how long the TURN credentials of a login stay valid.
const DefaultTURNTTL = 12 * time.Hour

// ICEConfig is the STUN/TURN servers the login result hands to the
// browser, which passes them to RTCPeerConnection (PROTOCOL §8).
type ICEConfig struct {
	URLs       []string      // stun:, stuns:, turn:, turns: URLs
	TURNSecret string        // coturn's static-auth-secret; "" means the TURN URLs get no credentials
	TTL        time.Duration // credential lifetime; 0 means DefaultTURNTTL
}

// servers returns the ice_servers of agent's login at now: STUN URLs as
// they are, TURN URLs with time-limited credentials (the TURN REST API of
// draft-uberti-behave-turn-rest, coturn's use-auth-secret): username
// "<unix expiry>:<agent>", password base64(HMAC-SHA1(secret, username)).
func (c ICEConfig) servers(agentID string, now time.Time) []agent.ICEServer {
	var stun, turn []string
	for _, u := range c.URLs {
		if strings.HasPrefix(u, "turn:") || strings.HasPrefix(u, "turns:") {
			turn = append(turn, u)
		} else {
			stun = append(stun, u)
		}
	}
	var out []agent.ICEServer
	if len(stun) > 0 {
		out = append(out, agent.ICEServer{URLs: stun})
	}
	if len(turn) > 0 {
		s := agent.ICEServer{URLs: turn}
		if c.TURNSecret != "" {
			s.Username, s.Credential = TURNCredentials(c.TURNSecret, agentID, now.Add(c.ttl()))
		}
		out = append(out, s)
	}
	return out
}

func (c ICEConfig) ttl() time.Duration {
	if c.TTL <= 0 {
		return DefaultTURNTTL
	}
	return c.TTL
}

// TURNCredentials returns the coturn REST credentials for user valid until
// expiry: username "<unix expiry>:<user>" and the base64 HMAC-SHA1 of it
// keyed with secret.
func TURNCredentials(secret, user string, expiry time.Time) (username, password string) {
	username = strconv.FormatInt(expiry.Unix(), 10) + ":" + user
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(username))
	return username, base64.StdEncoding.EncodeToString(m.Sum(nil))
}
