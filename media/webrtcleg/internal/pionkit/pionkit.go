// Package pionkit is the pion/webrtc setup that the pion engine
// (media/webrtcleg), the test browser (webrtclegtest) and the load client
// (webrtcclient) share: the G.711 codec parameters, the loopback-only ICE
// settings of TESTING.md, a client PeerConnection on one UDP socket, and
// the complete (non-trickle) local description.
//
// It is internal to media/webrtcleg, pion/webrtc's one home; its types are
// pion's and never leave that tree.
package pionkit

import (
	"context"
	"fmt"
	"net"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"

	"switchboard/media"
)

// G711 returns the pion codec parameters of c (PCMU unless c is PCMA), on
// c's static payload type.
func G711(c media.Codec) webrtc.RTPCodecParameters {
	mime := webrtc.MimeTypePCMU
	if c == media.PCMA {
		mime = webrtc.MimeTypePCMA
	}
	return webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mime, ClockRate: media.SampleRate},
		PayloadType:        webrtc.PayloadType(c.PayloadType()),
	}
}

// LoopbackOnly keeps ICE on lo both ways (TESTING.md): loopback host
// candidates only, and loopback peers only. Without
// SetIncludeLoopbackCandidate pion gathers nothing on lo.
func LoopbackOnly(se *webrtc.SettingEngine) {
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetRemoteIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
}

// Peer configures a client PeerConnection (NewPeer).
type Peer struct {
	// Conn is the one UDP socket ICE, DTLS and SRTP use (required). The
	// PeerConnection does not close it.
	Conn net.PacketConn
	// Codecs are registered in order: the offer lists them so.
	Codecs []webrtc.RTPCodecParameters
	// Interceptors registers pion's default interceptors (NACK, RTCP
	// reports, TWCC), as a real browser runs them.
	Interceptors bool
	// AnyInterface gathers candidates on every interface instead of
	// loopback only (LoopbackOnly).
	AnyInterface bool
	// Configuration is the PeerConnection's (ICE servers, policy).
	Configuration webrtc.Configuration
}

// NewPeer makes a PeerConnection on p.Conn, over UDP4 without mDNS, with
// pion's own logs off.
func NewPeer(p Peer) (*webrtc.PeerConnection, error) {
	quiet := logging.NewDefaultLoggerFactory()
	quiet.DefaultLogLevel = logging.LogLevelDisabled
	var se webrtc.SettingEngine
	se.LoggerFactory = quiet
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if !p.AnyInterface {
		LoopbackOnly(&se)
	}
	se.SetICEUDPMux(ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: p.Conn, Logger: quiet.NewLogger("mux")}))

	var me webrtc.MediaEngine
	for _, c := range p.Codecs {
		if err := me.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, fmt.Errorf("register codec %s: %w", c.MimeType, err)
		}
	}
	reg := &interceptor.Registry{}
	if p.Interceptors {
		if err := webrtc.RegisterDefaultInterceptors(&me, reg); err != nil {
			return nil, fmt.Errorf("register interceptors: %w", err)
		}
	}
	api := webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(&me), webrtc.WithInterceptorRegistry(reg))
	pc, err := api.NewPeerConnection(p.Configuration)
	if err != nil {
		return nil, fmt.Errorf("peer connection: %w", err)
	}
	return pc, nil
}

// LocalDescription sets desc (pc's new offer or answer) as pc's local
// description, waits until ICE gathering is complete or ctx ends, and
// returns the complete SDP with every candidate in it.
func LocalDescription(ctx context.Context, pc *webrtc.PeerConnection, desc webrtc.SessionDescription) ([]byte, error) {
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(desc); err != nil {
		return nil, fmt.Errorf("set local description: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return nil, fmt.Errorf("gather ice candidates: %w", context.Cause(ctx))
	}
	return []byte(pc.LocalDescription().SDP), nil
}
