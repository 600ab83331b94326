package lean

import (
	"crypto/sha1" //nolint:gosec // RFC 4572 allows sha-1 fingerprints; we only compare
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"

	"switchboard/media"
	"switchboard/media/browserleg"
)

// maxOfferSize bounds the SDP we parse; browser offers are a few KiB.
const maxOfferSize = 64 << 10

// offer is what the leg needs from a browser's offer.
type offer struct {
	ufrag, pwd   string
	fingerprints fingerprints // the browser's certificate, any of these
	mid          string       // the audio section's a=mid ("" if none)
	bundle       bool         // the offer groups the audio mid in BUNDLE
	audioIndex   int          // index of the audio m-line
	media        []*sdp.MediaDescription
	ptPCMU       int // payload type the offer uses for PCMU, -1 if none
	ptPCMA       int
	first        media.Codec // first G.711 codec in the offer's order
	direction    string      // sendrecv, sendonly, recvonly, inactive
}

// fingerprints are the a=fingerprint lines of an offer.
type fingerprints []fingerprint

type fingerprint struct {
	algo  string // lowercase: sha-256, sha-1, ...
	value []byte
}

func invalid(format string, args ...any) error {
	return &browserleg.OfferError{Reason: "invalid_sdp", Err: fmt.Errorf("%w: "+format, append([]any{browserleg.ErrInvalidOffer}, args...)...)}
}

// parseOffer checks a browser offer. The error is a *browserleg.OfferError.
func parseOffer(raw []byte) (*offer, error) {
	if len(raw) == 0 || len(raw) > maxOfferSize {
		return nil, invalid("size %d", len(raw))
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(string(raw)); err != nil {
		return nil, &browserleg.OfferError{Reason: "invalid_sdp", Err: fmt.Errorf("%w: %w", browserleg.ErrInvalidOffer, err)}
	}
	o := &offer{audioIndex: -1, ptPCMU: -1, ptPCMA: -1, media: sd.MediaDescriptions}
	var md *sdp.MediaDescription
	for i, m := range sd.MediaDescriptions {
		if m.MediaName.Media == "audio" && m.MediaName.Port.Value != 0 {
			md, o.audioIndex = m, i
			break
		}
	}
	if md == nil {
		return nil, &browserleg.OfferError{Reason: "no_audio", Err: browserleg.ErrNoAudio}
	}
	for _, f := range md.MediaName.Formats {
		pt, err := strconv.ParseUint(f, 10, 7)
		if err != nil {
			continue
		}
		switch browserleg.CodecForFormat(md, uint8(pt)) {
		case media.PCMU:
			if o.ptPCMU < 0 {
				o.ptPCMU = int(pt)
			}
			if o.first == media.CodecUnknown {
				o.first = media.PCMU
			}
		case media.PCMA:
			if o.ptPCMA < 0 {
				o.ptPCMA = int(pt)
			}
			if o.first == media.CodecUnknown {
				o.first = media.PCMA
			}
		}
	}
	if o.first == media.CodecUnknown {
		return nil, &browserleg.OfferError{Reason: "no_common_codec", Err: browserleg.ErrNoCommonCodec}
	}
	if !strings.Contains(strings.Join(md.MediaName.Protos, "/"), "SAVP") {
		return nil, invalid("audio transport %q is not DTLS-SRTP", strings.Join(md.MediaName.Protos, "/"))
	}
	// Media-level attributes win over session-level ones.
	get := func(key string) (string, bool) {
		if v, ok := md.Attribute(key); ok {
			return v, true
		}
		return sd.Attribute(key)
	}
	o.ufrag, _ = get("ice-ufrag")
	o.pwd, _ = get("ice-pwd")
	if o.ufrag == "" || o.pwd == "" || strings.ContainsAny(o.ufrag, ": ") {
		return nil, invalid("missing or bad ice-ufrag/ice-pwd")
	}
	if setup, _ := get("setup"); setup == "passive" {
		return nil, invalid("a=setup:passive (the browser must be the DTLS client)")
	}
	if _, ok := md.Attribute("rtcp-mux"); !ok {
		return nil, invalid("rtcp-mux is required")
	}
	for _, a := range append(append([]sdp.Attribute(nil), md.Attributes...), sd.Attributes...) {
		if a.Key != "fingerprint" {
			continue
		}
		algo, value, ok := strings.Cut(strings.TrimSpace(a.Value), " ")
		b, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(value), ":", ""))
		if !ok || err != nil || newHash(strings.ToLower(algo)) == nil {
			continue
		}
		o.fingerprints = append(o.fingerprints, fingerprint{algo: strings.ToLower(algo), value: b})
	}
	if len(o.fingerprints) == 0 {
		return nil, invalid("no usable a=fingerprint")
	}
	o.mid, _ = md.Attribute("mid")
	if g, ok := sd.Attribute("group"); ok && o.mid != "" {
		// RFC 5888 §5: "a=group:<semantics> *(SP identification-tag)"; an
		// empty or semantics-only line groups nothing.
		if f := strings.Fields(g); len(f) > 1 && f[0] == "BUNDLE" {
			o.bundle = slices.Contains(f[1:], o.mid)
		}
	}
	o.direction = "sendrecv"
	for _, d := range []string{"sendonly", "recvonly", "inactive"} {
		if _, ok := md.Attribute(d); ok {
			o.direction = d
		}
	}
	return o, nil
}

func newHash(algo string) hash.Hash {
	switch algo {
	case "sha-1":
		return sha1.New() //nolint:gosec
	case "sha-256":
		return sha256.New()
	case "sha-384":
		return sha512.New384()
	case "sha-512":
		return sha512.New()
	}
	return nil
}

// matches reports whether der (a certificate) has one of the fingerprints.
func (fs fingerprints) matches(der []byte) bool {
	for _, f := range fs {
		h := newHash(f.algo)
		h.Write(der)
		if string(h.Sum(nil)) == string(f.value) {
			return true
		}
	}
	return false
}

// answerParams are the leg's side of the answer.
type answerParams struct {
	addr        netip.AddrPort // the one host candidate
	ufrag, pwd  string
	fingerprint string // "sha-256 AB:CD:..."
	codec       media.Codec
	pt, otherPT int // the payload type sent, and the other law's (-1 if not offered)
	ssrc        uint32
	sessionID   uint64
}

// answer writes the SDP answer to o: ICE-lite, one host candidate,
// setup:passive, the audio section with our codec first, every other
// section rejected (port 0).
func (o *offer) answer(p answerParams) []byte {
	var b strings.Builder
	ipv := "IP4"
	if p.addr.Addr().Is6() {
		ipv = "IP6"
	}
	ip := p.addr.Addr().String()
	port := strconv.Itoa(int(p.addr.Port()))
	w := func(s ...string) {
		for _, x := range s {
			b.WriteString(x)
		}
		b.WriteString("\r\n")
	}
	w("v=0")
	w("o=- ", strconv.FormatUint(p.sessionID, 10), " 2 IN ", ipv, " ", ip)
	w("s=-")
	w("t=0 0")
	w("a=ice-lite")
	if o.bundle {
		w("a=group:BUNDLE ", o.mid)
	}
	w("a=msid-semantic: WMS switchboard")
	for i, md := range o.media {
		if i != o.audioIndex {
			fmt0 := "0"
			if len(md.MediaName.Formats) > 0 {
				fmt0 = md.MediaName.Formats[0]
			}
			w("m=", md.MediaName.Media, " 0 ", strings.Join(md.MediaName.Protos, "/"), " ", fmt0)
			w("c=", "IN ", ipv, " ", ip)
			if mid, ok := md.Attribute("mid"); ok {
				w("a=mid:", mid)
			}
			w("a=inactive")
			continue
		}
		pts := strconv.Itoa(p.pt)
		if p.otherPT >= 0 {
			pts += " " + strconv.Itoa(p.otherPT)
		}
		w("m=audio ", port, " ", strings.Join(md.MediaName.Protos, "/"), " ", pts)
		w("c=IN ", ipv, " ", ip)
		w("a=candidate:1 1 udp 2130706431 ", ip, " ", port, " typ host")
		w("a=end-of-candidates")
		w("a=ice-ufrag:", p.ufrag)
		w("a=ice-pwd:", p.pwd)
		w("a=fingerprint:", p.fingerprint)
		w("a=setup:passive")
		if o.mid != "" {
			w("a=mid:", o.mid)
		}
		switch o.direction {
		case "sendonly":
			w("a=recvonly")
		case "recvonly":
			w("a=sendonly")
		default:
			w("a=", o.direction)
		}
		w("a=rtcp-mux")
		w("a=rtpmap:", strconv.Itoa(p.pt), " ", p.codec.String(), "/8000")
		if p.otherPT >= 0 {
			other := media.PCMA
			if p.codec == media.PCMA {
				other = media.PCMU
			}
			w("a=rtpmap:", strconv.Itoa(p.otherPT), " ", other.String(), "/8000")
		}
		ssrc := strconv.FormatUint(uint64(p.ssrc), 10)
		w("a=ssrc:", ssrc, " cname:switchboard")
		w("a=ssrc:", ssrc, " msid:switchboard audio")
		w("a=msid:switchboard audio")
	}
	return []byte(b.String())
}
