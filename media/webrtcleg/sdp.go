package webrtcleg

import (
	"fmt"
	"strconv"

	"github.com/pion/sdp/v3"

	"switchboard/media"
	"switchboard/media/browserleg"
)

// maxOfferSize bounds the SDP we parse; browser offers are a few KiB.
const maxOfferSize = 64 << 10

// offerCodecs checks a browser offer before any PeerConnection is built and
// returns the G.711 codecs its first audio section lists, in the offer's
// order. The error is an *OfferError.
func offerCodecs(offer []byte) ([]media.Codec, error) {
	if len(offer) == 0 || len(offer) > maxOfferSize {
		return nil, &browserleg.OfferError{Reason: "invalid_sdp", Err: fmt.Errorf("%w: size %d", browserleg.ErrInvalidOffer, len(offer))}
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(string(offer)); err != nil {
		return nil, &browserleg.OfferError{Reason: "invalid_sdp", Err: fmt.Errorf("%w: %w", browserleg.ErrInvalidOffer, err)}
	}
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media != "audio" {
			continue
		}
		var codecs []media.Codec
		for _, f := range md.MediaName.Formats {
			pt, err := strconv.ParseUint(f, 10, 8)
			if err != nil {
				continue
			}
			c := browserleg.CodecForFormat(md, uint8(pt))
			if c != media.CodecUnknown {
				codecs = append(codecs, c)
			}
		}
		if len(codecs) == 0 {
			return nil, &browserleg.OfferError{Reason: "no_common_codec", Err: browserleg.ErrNoCommonCodec}
		}
		return codecs, nil
	}
	return nil, &browserleg.OfferError{Reason: "no_audio", Err: browserleg.ErrNoAudio}
}
