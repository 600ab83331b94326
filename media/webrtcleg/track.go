package webrtcleg

import (
	"strings"
	"sync/atomic"

	"github.com/pion/webrtc/v4"

	"switchboard/media"
	"switchboard/media/webrtcleg/internal/pionkit"
)

// localTrack is the leg's outgoing audio track. Unlike
// webrtc.TrackLocalStaticRTP it keeps its single binding behind an atomic
// pointer, so a write is one atomic load and a direct call into pion's SRTP
// writer: no pool, no lock, no error slice.
type localTrack struct {
	codec   media.Codec
	binding atomic.Pointer[trackBinding]
}

// trackBinding is what pion hands the track once DTLS is up.
type trackBinding struct {
	id     string
	ssrc   uint32
	pt     uint8
	stream webrtc.TrackLocalWriter
}

// Bind implements webrtc.TrackLocal: it picks the leg's codec among the
// negotiated ones.
func (t *localTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	want := pionkit.G711(t.codec)
	for _, c := range ctx.CodecParameters() {
		if strings.EqualFold(c.MimeType, want.MimeType) && c.ClockRate == want.ClockRate {
			t.binding.Store(&trackBinding{
				id:     ctx.ID(),
				ssrc:   uint32(ctx.SSRC()),
				pt:     uint8(c.PayloadType),
				stream: ctx.WriteStream(),
			})
			return c, nil
		}
	}
	return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
}

// Unbind implements webrtc.TrackLocal.
func (t *localTrack) Unbind(ctx webrtc.TrackLocalContext) error {
	if b := t.binding.Load(); b != nil && b.id == ctx.ID() {
		t.binding.CompareAndSwap(b, nil)
	}
	return nil
}

// ID implements webrtc.TrackLocal.
func (t *localTrack) ID() string { return "audio" }

// RID implements webrtc.TrackLocal.
func (t *localTrack) RID() string { return "" }

// StreamID implements webrtc.TrackLocal.
func (t *localTrack) StreamID() string { return "switchboard" }

// Kind implements webrtc.TrackLocal.
func (t *localTrack) Kind() webrtc.RTPCodecType { return webrtc.RTPCodecTypeAudio }

var _ webrtc.TrackLocal = (*localTrack)(nil)
