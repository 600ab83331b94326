package media

import (
	"time"

	"github.com/zaf/g711"
)

// Audio framing used everywhere in the gateway: G.711 at 8 kHz, 20 ms packets.
const (
	SampleRate    = 8000                  // samples per second
	FrameSamples  = 160                   // samples in one 20 ms frame
	FrameDuration = 20 * time.Millisecond // one packet's worth of audio
)

// Codec is an audio payload format the gateway speaks.
type Codec uint8

// Codecs. The zero value is CodecUnknown.
const (
	CodecUnknown Codec = iota
	PCMU               // G.711 µ-law, RTP payload type 0
	PCMA               // G.711 A-law, RTP payload type 8
)

// String returns the SDP encoding name ("PCMU", "PCMA") or "unknown".
func (c Codec) String() string {
	switch c {
	case PCMU:
		return "PCMU"
	case PCMA:
		return "PCMA"
	}
	return "unknown"
}

// PayloadType returns the static RTP payload type (RFC 3551 §6), or 255 for
// CodecUnknown.
func (c Codec) PayloadType() uint8 {
	switch c {
	case PCMU:
		return 0
	case PCMA:
		return 8
	}
	return 255
}

// CodecForPayloadType maps a static RTP payload type to a Codec.
func CodecForPayloadType(pt uint8) Codec {
	switch pt {
	case 0:
		return PCMU
	case 8:
		return PCMA
	}
	return CodecUnknown
}

// CodecForName maps an SDP encoding name (case-insensitive) to a Codec.
func CodecForName(name string) Codec {
	switch {
	case len(name) == 4 && (name[:4] == "PCMU" || name[:4] == "pcmu"):
		return PCMU
	case len(name) == 4 && (name[:4] == "PCMA" || name[:4] == "pcma"):
		return PCMA
	}
	return CodecUnknown
}

var (
	ulawDecode [256]int16
	alawDecode [256]int16
	ulawToAlaw [256]byte
	alawToUlaw [256]byte
)

func init() {
	for i := range 256 {
		ulawDecode[i] = g711.DecodeUlawFrame(uint8(i))
		alawDecode[i] = g711.DecodeAlawFrame(uint8(i))
		ulawToAlaw[i] = g711.Ulaw2AlawFrame(uint8(i))
		alawToUlaw[i] = g711.Alaw2UlawFrame(uint8(i))
	}
}

// Decode converts the G.711 payload to linear PCM in dst, which must hold
// len(payload) samples, and returns dst[:len(payload)]. It does not allocate.
func Decode(c Codec, dst []int16, payload []byte) []int16 {
	dst = dst[:len(payload)]
	table := &ulawDecode
	if c == PCMA {
		table = &alawDecode
	}
	for i, b := range payload {
		dst[i] = table[b]
	}
	return dst
}

// Encode converts linear PCM to G.711 in dst, which must hold len(pcm)
// bytes, and returns dst[:len(pcm)]. It does not allocate.
func Encode(c Codec, dst []byte, pcm []int16) []byte {
	dst = dst[:len(pcm)]
	if c == PCMA {
		for i, s := range pcm {
			dst[i] = g711.EncodeAlawFrame(s)
		}
		return dst
	}
	for i, s := range pcm {
		dst[i] = g711.EncodeUlawFrame(s)
	}
	return dst
}

// Transcode converts a G.711 payload from one law to the other in dst (which
// may be the same slice as src) and returns dst[:len(src)]. Equal codecs copy.
func Transcode(from, to Codec, dst, src []byte) []byte {
	dst = dst[:len(src)]
	switch {
	case from == to:
		copy(dst, src)
	case from == PCMU && to == PCMA:
		for i, b := range src {
			dst[i] = ulawToAlaw[b]
		}
	default:
		for i, b := range src {
			dst[i] = alawToUlaw[b]
		}
	}
	return dst
}

// SilenceByte is the G.711 code for a zero sample in codec c.
func SilenceByte(c Codec) byte {
	if c == PCMA {
		return 0xD5
	}
	return 0xFF
}
