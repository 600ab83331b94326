package media

import "testing"

func TestCodecString(t *testing.T) {
	tests := []struct {
		name string
		c    Codec
		want string
		pt   uint8
	}{
		{"unknown", CodecUnknown, "unknown", 255},
		{"pcmu", PCMU, "PCMU", 0},
		{"pcma", PCMA, "PCMA", 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if got := tt.c.PayloadType(); got != tt.pt {
				t.Errorf("PayloadType() = %d, want %d", got, tt.pt)
			}
			if tt.c != CodecUnknown {
				if got := CodecForPayloadType(tt.pt); got != tt.c {
					t.Errorf("CodecForPayloadType(%d) = %v, want %v", tt.pt, got, tt.c)
				}
				if got := CodecForName(tt.want); got != tt.c {
					t.Errorf("CodecForName(%q) = %v, want %v", tt.want, got, tt.c)
				}
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	pcm := make([]int16, 0, 64)
	for v := -30000; v <= 30000; v += 1000 {
		pcm = append(pcm, int16(v))
	}
	for _, c := range []Codec{PCMU, PCMA} {
		enc := Encode(c, make([]byte, len(pcm)), pcm)
		dec := Decode(c, make([]int16, len(enc)), enc)
		for i := range pcm {
			d := int(dec[i]) - int(pcm[i])
			if d < 0 {
				d = -d
			}
			// G.711 quantisation error stays within ~1/16 of the magnitude.
			lim := int(pcm[i])/16 + 40
			if lim < 0 {
				lim = -lim + 80
			}
			if d > lim {
				t.Errorf("%v: sample %d decoded as %d (error %d > %d)", c, pcm[i], dec[i], d, lim)
			}
		}
		other := PCMA
		if c == PCMA {
			other = PCMU
		}
		tc := Transcode(c, other, make([]byte, len(enc)), enc)
		back := Decode(other, make([]int16, len(tc)), tc)
		for i := range pcm {
			d := int(back[i]) - int(dec[i])
			if d < -1200 || d > 1200 {
				t.Errorf("%v->%v: sample %d became %d, want near %d", c, other, pcm[i], back[i], dec[i])
			}
		}
		if Decode(c, make([]int16, 1), []byte{SilenceByte(c)})[0] > 16 {
			t.Errorf("%v: SilenceByte decodes loud", c)
		}
	}
}

func BenchmarkDecodeEncode(b *testing.B) {
	payload := make([]byte, FrameSamples)
	pcm := make([]int16, FrameSamples)
	b.ReportAllocs()
	for b.Loop() {
		Decode(PCMU, pcm, payload)
		Encode(PCMA, payload, pcm)
	}
}
