package phoneui

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	sbmedia "switchboard/media"
	"switchboard/media/tone"
)

// answerer is a pion PeerConnection standing in for the gateway's agent
// leg: it answers the page's offer (PCMU, loopback only, non-trickle), sends
// a 440 Hz tone and counts the RTP packets it gets from the page.
type answerer struct {
	pc       *webrtc.PeerConnection
	track    *webrtc.TrackLocalStaticSample
	received atomic.Int64
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

func newAnswerer(t *testing.T) *answerer {
	t.Helper()
	var se webrtc.SettingEngine
	quiet := logging.NewDefaultLoggerFactory()
	quiet.DefaultLogLevel = logging.LogLevelDisabled
	se.LoggerFactory = quiet
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetRemoteIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	var me webrtc.MediaEngine
	pcmu := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: pcmu, PayloadType: 0}, webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	api := webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(&me))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	track, err := webrtc.NewTrackLocalStaticSample(pcmu, "audio", "gateway")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTrack(track); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &answerer{pc: pc, track: track, cancel: cancel}
	// remote hands the page's track from pion's OnTrack to the reader.
	// Buffer 1: one audio track.
	remote := make(chan *webrtc.TrackRemote, 1)
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		select {
		case remote <- tr:
		default:
		}
	})
	a.wg.Go(func() {
		select {
		case tr := <-remote:
			for {
				if _, _, err := tr.ReadRTP(); err != nil {
					return
				}
				a.received.Add(1)
			}
		case <-ctx.Done():
		}
	})
	a.wg.Go(func() { a.send(ctx) })
	t.Cleanup(a.close)
	return a
}

// send writes 20 ms PCMU frames of a 440 Hz tone until ctx ends.
func (a *answerer) send(ctx context.Context) {
	sine := tone.Sine{Freq: 440}
	pcm := make([]int16, sbmedia.FrameSamples)
	buf := make([]byte, 0, sbmedia.FrameSamples)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			sine.Fill(pcm)
			buf = sbmedia.Encode(sbmedia.PCMU, buf[:0], pcm)
			_ = a.track.WriteSample(media.Sample{Data: buf, Duration: 20 * time.Millisecond})
		}
	}
}

// answer applies the page's offer and returns the complete answer.
func (a *answerer) answer(offer string) (string, error) {
	if err := a.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", err
	}
	ans, err := a.pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	gathered := webrtc.GatheringCompletePromise(a.pc)
	if err := a.pc.SetLocalDescription(ans); err != nil {
		return "", err
	}
	<-gathered
	return a.pc.LocalDescription().SDP, nil
}

func (a *answerer) close() {
	a.cancel()
	_ = a.pc.Close()
	a.wg.Wait()
}
