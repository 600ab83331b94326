package browserleg

import (
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"

	"switchboard/media"
)

// CodecForFormat resolves payload type pt of md through its a=rtpmap, or as
// a static payload type (RFC 3551 §6) when there is no rtpmap. Anything but
// an 8 kHz PCMU or PCMA is media.CodecUnknown.
func CodecForFormat(md *sdp.MediaDescription, pt uint8) media.Codec {
	prefix := strconv.Itoa(int(pt)) + " "
	for _, a := range md.Attributes {
		if a.Key != "rtpmap" || !strings.HasPrefix(a.Value, prefix) {
			continue
		}
		name, rate, _ := strings.Cut(strings.TrimPrefix(a.Value, prefix), "/")
		if rate, _, _ = strings.Cut(rate, "/"); rate != "8000" {
			return media.CodecUnknown
		}
		return media.CodecForName(name)
	}
	return media.CodecForPayloadType(pt)
}
