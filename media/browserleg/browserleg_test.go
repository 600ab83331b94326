package browserleg

import (
	"log/slog"
	"testing"
	"time"

	"github.com/pion/sdp/v3"

	"switchboard/media"
)

func TestStateString(t *testing.T) {
	tests := []struct {
		s     State
		want  string
		final bool
	}{
		{StateUnknown, "unknown", false},
		{StateConnecting, "connecting", false},
		{StateConnected, "connected", false},
		{StateDisconnected, "disconnected", false},
		{StateFailed, "failed", true},
		{StateClosed, "closed", true},
		{State(99), "unknown", false},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("State(%d).String() = %q, want %q", tt.s, got, tt.want)
		}
		if got := tt.s.Final(); got != tt.final {
			t.Errorf("State(%d).Final() = %v, want %v", tt.s, got, tt.final)
		}
	}
}

func TestCodecForFormat(t *testing.T) {
	md := &sdp.MediaDescription{Attributes: []sdp.Attribute{
		{Key: "rtpmap", Value: "111 opus/48000/2"},
		{Key: "rtpmap", Value: "96 PCMA/8000"},
		{Key: "rtpmap", Value: "97 pcmu/8000/1"},
		{Key: "rtpmap", Value: "98 PCMU/16000"},
		{Key: "rtpmap", Value: "8 telephone-event/8000"}, // remaps a static type
	}}
	tests := []struct {
		pt   uint8
		want media.Codec
	}{
		{111, media.CodecUnknown},
		{96, media.PCMA},
		{97, media.PCMU},
		{98, media.CodecUnknown}, // not 8 kHz
		{0, media.PCMU},          // static, no rtpmap
		{8, media.CodecUnknown},  // the rtpmap wins over the static type
		{99, media.CodecUnknown},
	}
	for _, tt := range tests {
		if got := CodecForFormat(md, tt.pt); got != tt.want {
			t.Errorf("CodecForFormat(%d) = %v, want %v", tt.pt, got, tt.want)
		}
	}
}

func TestConfig(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		more []time.Duration
		ok   bool
	}{
		{Config{}, nil, true},
		{Config{UDPPort: 65535, DisconnectedTimeout: time.Second}, []time.Duration{time.Second}, true},
		{Config{UDPPort: -1}, nil, false},
		{Config{UDPPort: 65536}, nil, false},
		{Config{FailedTimeout: -1}, nil, false},
		{Config{}, []time.Duration{0, -1}, false},
	} {
		if err := c.cfg.Validate(c.more...); (err == nil) != c.ok {
			t.Errorf("%+v.Validate(%v) = %v, want ok %v", c.cfg, c.more, err, c.ok)
		}
	}
	if d, f := (Config{}).Timeouts(); d != DefaultDisconnectedTimeout || f != DefaultFailedTimeout {
		t.Errorf("zero Timeouts = %v, %v; want the defaults", d, f)
	}
	if d, f := (Config{DisconnectedTimeout: 1, FailedTimeout: 2}).Timeouts(); d != 1 || f != 2 {
		t.Errorf("Timeouts = %v, %v; want 1ns, 2ns", d, f)
	}
	if (Config{}).Log() != slog.Default() {
		t.Error("zero Log is not slog.Default()")
	}
}
