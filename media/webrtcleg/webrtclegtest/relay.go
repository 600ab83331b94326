package webrtclegtest

import (
	"github.com/pion/webrtc/v4"
)

// ICEServer is one RTCIceServer (the login result's ice_servers entry).
type ICEServer struct {
	URLs       []string
	Username   string
	Credential string
}

// configuration is the PeerConnection configuration of opts.
func (opts Options) configuration() webrtc.Configuration {
	var c webrtc.Configuration
	for _, s := range opts.ICEServers {
		c.ICEServers = append(c.ICEServers, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	if opts.RelayOnly {
		c.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	return c
}

// SelectedCandidateTypes returns the types ("host", "relay", ...) of the
// local and remote candidates of the selected ICE pair, or "" before one
// is selected.
func (b *Browser) SelectedCandidateTypes() (local, remote string) {
	sctp := b.pc.SCTP()
	if sctp == nil {
		return b.fromSenders()
	}
	return pairTypes(sctp.Transport().ICETransport())
}

func (b *Browser) fromSenders() (string, string) {
	for _, s := range b.pc.GetSenders() {
		if tr := s.Transport(); tr != nil {
			return pairTypes(tr.ICETransport())
		}
	}
	return "", ""
}

func pairTypes(t *webrtc.ICETransport) (string, string) {
	if t == nil {
		return "", ""
	}
	p, err := t.GetSelectedCandidatePair()
	if err != nil || p == nil {
		return "", ""
	}
	return p.Local.Typ.String(), p.Remote.Typ.String()
}
