package rtpleg

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"

	"switchboard/media"
)

// maxSDPSize bounds the descriptions we parse; real offers are under 4 KiB.
const maxSDPSize = 64 << 10

// direction is an RFC 3264 §5.1 stream direction.
type direction uint8

// Directions. The zero value is dirUnknown; a description without any
// direction attribute means sendrecv (RFC 3264 §5.1).
const (
	dirUnknown direction = iota
	dirSendRecv
	dirSendOnly
	dirRecvOnly
	dirInactive
)

func (d direction) String() string {
	switch d {
	case dirSendRecv:
		return "sendrecv"
	case dirSendOnly:
		return "sendonly"
	case dirRecvOnly:
		return "recvonly"
	case dirInactive:
		return "inactive"
	}
	return "unknown"
}

// reverse is the answerer's direction for an offered one (RFC 3264 §6.1).
func (d direction) reverse() direction {
	switch d {
	case dirSendOnly:
		return dirRecvOnly
	case dirRecvOnly:
		return dirSendOnly
	}
	return d
}

// withoutRecv is d for a remote that asked to receive nothing.
func (d direction) withoutRecv() direction {
	switch d {
	case dirSendRecv, dirSendOnly:
		return dirSendOnly
	}
	return dirInactive
}

func (d direction) canSend() bool { return d == dirSendRecv || d == dirSendOnly }
func (d direction) canRecv() bool { return d == dirSendRecv || d == dirRecvOnly }

func parseDirection(key string) direction {
	switch key {
	case "sendrecv":
		return dirSendRecv
	case "sendonly":
		return dirSendOnly
	case "recvonly":
		return dirRecvOnly
	case "inactive":
		return dirInactive
	}
	return dirUnknown
}

// mline is one m= line of a remote description, kept to reject it in an answer.
type mline struct {
	media, proto, formats string
}

// remoteDesc is what we take from a remote offer or answer.
type remoteDesc struct {
	addr     netip.Addr // c= address of the audio stream (maybe unspecified)
	port     int        // audio port
	codec    media.Codec
	audioPT  uint8 // payload type the remote uses for codec
	tePT     int   // telephone-event payload type, -1 if none
	dir      direction
	mlines   []mline
	audio    int      // index of the audio m= line in mlines
	sdes     sdesDesc // RTP/SAVP and a=crypto of the audio stream (srtp.go)
	hold     bool     // set by Leg.Answer: an RFC 2543 hold re-offer
	rtcpMux  bool     // a=rtcp-mux on the audio stream (RFC 5761)
	rtcpPort int      // a=rtcp port (RFC 3605), 0 if absent: RTP port + 1
}

// remoteAddr is where the remote wants RTP, if it said.
func (r *remoteDesc) remoteAddr() netip.AddrPort {
	return netip.AddrPortFrom(r.addr, uint16(r.port))
}

// format is one payload format of an m= line.
type format struct {
	pt       uint8
	name     string // encoding name, lower case; empty for an unknown dynamic type
	rate     int
	channels int
}

// parseRemote parses and checks an SDP offer or answer. Errors are *SDPError.
func parseRemote(raw []byte) (*remoteDesc, error) {
	if len(strings.TrimSpace(string(raw))) == 0 {
		return nil, malformed("empty body")
	}
	if len(raw) > maxSDPSize {
		return nil, malformed("description too large")
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(string(raw)); err != nil {
		return nil, malformed(strings.TrimPrefix(err.Error(), "sdp: "))
	}
	if sd.Version != 0 {
		return nil, malformed("unsupported v= version")
	}
	if len(sd.MediaDescriptions) == 0 {
		return nil, malformed("missing m= line")
	}
	r := &remoteDesc{audio: -1, tePT: -1}
	sawAudio, sawProto := false, false
	for i, md := range sd.MediaDescriptions {
		proto := strings.Join(md.MediaName.Protos, "/")
		r.mlines = append(r.mlines, mline{media: md.MediaName.Media, proto: proto, formats: strings.Join(md.MediaName.Formats, " ")})
		if len(md.MediaName.Formats) == 0 {
			return nil, malformed("m= line without formats")
		}
		if r.audio >= 0 || md.MediaName.Media != "audio" || md.MediaName.Port.Value == 0 {
			continue
		}
		sawAudio = true
		if !rtpProto(proto) { // RTP/AVP(F), and RTP/SAVP(F) for SDES (srtp.go)
			continue
		}
		sawProto = true
		if err := r.parseAudio(&sd, md); err != nil {
			return nil, err
		}
		sdes, err := parseCrypto(md) // srtp.go
		if err != nil {
			return nil, err
		}
		r.sdes = sdes
		r.audio = i
	}
	switch {
	case !sawAudio:
		return nil, notAcceptable("no audio stream offered")
	case !sawProto:
		return nil, notAcceptable("unsupported media transport (want RTP/AVP or RTP/SAVP)")
	case r.codec == media.CodecUnknown:
		return nil, notAcceptable("no common codec (PCMU, PCMA)")
	}
	return r, nil
}

// parseAudio fills r from the audio media description md.
func (r *remoteDesc) parseAudio(sd *sdp.SessionDescription, md *sdp.MediaDescription) error {
	// c=: media level wins over session level (RFC 4566 §5.7).
	ci := md.ConnectionInformation
	if ci == nil {
		ci = sd.ConnectionInformation
	}
	if ci == nil || ci.Address == nil {
		return malformed("missing c= line")
	}
	if ci.AddressType != "IP4" {
		return notAcceptable("IPv6 media not supported")
	}
	host, _, _ := strings.Cut(ci.Address.Address, "/")
	addr, err := netip.ParseAddr(host)
	if err != nil || !addr.Is4() {
		return malformed("bad c= address")
	}
	if addr.IsMulticast() {
		return notAcceptable("multicast media not supported")
	}
	r.addr, r.port = addr, md.MediaName.Port.Value

	formats := make([]format, 0, len(md.MediaName.Formats))
	for _, f := range md.MediaName.Formats {
		pt, err := strconv.ParseUint(f, 10, 8)
		if err != nil || pt > 127 {
			return malformed("bad payload type in m= line")
		}
		formats = append(formats, staticFormat(uint8(pt)))
	}
	for _, a := range md.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		f, err := parseRTPMap(a.Value)
		if err != nil {
			return err
		}
		for i := range formats {
			if formats[i].pt == f.pt {
				formats[i] = f
			}
		}
	}
	for _, f := range formats {
		if f.rate != 8000 || f.channels > 1 {
			continue
		}
		switch {
		case r.codec == media.CodecUnknown && (f.name == "pcmu" || f.name == "pcma"):
			r.codec = media.CodecForName(strings.ToUpper(f.name))
			r.audioPT = f.pt
		case r.tePT < 0 && f.name == "telephone-event":
			r.tePT = int(f.pt)
		}
	}

	for _, a := range md.Attributes {
		switch a.Key {
		case "rtcp-mux":
			r.rtcpMux = true
		case "rtcp":
			if f := strings.Fields(a.Value); len(f) > 0 {
				if port, err := strconv.Atoi(f[0]); err == nil && port > 0 && port < 65536 {
					r.rtcpPort = port
				}
			}
		}
	}
	r.dir = dirSendRecv
	if d := findDirection(sd.Attributes); d != dirUnknown {
		r.dir = d
	}
	if d := findDirection(md.Attributes); d != dirUnknown {
		r.dir = d
	}
	return nil
}

func findDirection(attrs []sdp.Attribute) direction {
	d := dirUnknown
	for _, a := range attrs {
		if v := parseDirection(a.Key); v != dirUnknown {
			d = v
		}
	}
	return d
}

// staticFormat describes the static payload types of RFC 3551 §6 we know.
func staticFormat(pt uint8) format {
	switch pt {
	case 0:
		return format{pt: 0, name: "pcmu", rate: 8000}
	case 8:
		return format{pt: 8, name: "pcma", rate: 8000}
	}
	return format{pt: pt}
}

// parseRTPMap parses "a=rtpmap:<pt> <name>/<rate>[/<channels>]" (RFC 4566 §6).
func parseRTPMap(v string) (format, error) {
	bad := malformed("bad a=rtpmap")
	ptStr, enc, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		return format{}, bad
	}
	pt, err := strconv.ParseUint(ptStr, 10, 8)
	if err != nil || pt > 127 {
		return format{}, bad
	}
	parts := strings.Split(strings.TrimSpace(enc), "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" {
		return format{}, bad
	}
	rate, err := strconv.Atoi(parts[1])
	if err != nil || rate <= 0 {
		return format{}, bad
	}
	f := format{pt: uint8(pt), name: strings.ToLower(parts[0]), rate: rate}
	if len(parts) == 3 {
		if f.channels, err = strconv.Atoi(parts[2]); err != nil || f.channels <= 0 {
			return format{}, bad
		}
	}
	return f, nil
}

// localDesc is what we write into our own offer or answer.
type localDesc struct {
	ip       netip.Addr
	port     int
	sessID   uint64
	version  uint64
	dir      direction
	formats  []format // audio formats in order of preference
	proto    string   // "RTP/AVP" unless answering RTP/AVPF
	mlines   []mline  // when answering: the offer's m= lines, rejected except audio
	audioIdx int
	// SDES (srtp.go): the a=crypto value of an answer, or the lines of an
	// offer (which then says RTP/SAVP).
	crypto      string
	offerCrypto []cryptoAttr
	rtcpMux     bool // write a=rtcp-mux (offer it, or accept the offer's)
}

// marshal writes the description (RFC 4566 §5 order).
func (d *localDesc) marshal() []byte {
	var b strings.Builder
	ip := d.ip.String()
	b.WriteString("v=0\r\n")
	b.WriteString("o=switchboard " + strconv.FormatUint(d.sessID, 10) + " " + strconv.FormatUint(d.version, 10) + " IN IP4 " + ip + "\r\n")
	b.WriteString("s=switchboard\r\n")
	b.WriteString("c=IN IP4 " + ip + "\r\n")
	b.WriteString("t=0 0\r\n")
	mlines := d.mlines
	if len(mlines) == 0 {
		mlines = []mline{{media: "audio"}}
	}
	for i, m := range mlines {
		if i != d.audioIdx {
			// RFC 3264 §6: a rejected stream keeps its line with port 0.
			b.WriteString("m=" + m.media + " 0 " + m.proto + " " + m.formats + "\r\n")
			continue
		}
		proto := d.proto
		if proto == "" {
			proto = "RTP/AVP"
			if len(d.offerCrypto) > 0 {
				proto = "RTP/SAVP"
			}
		}
		b.WriteString("m=audio " + strconv.Itoa(d.port) + " " + proto)
		for _, f := range d.formats {
			b.WriteString(" " + strconv.Itoa(int(f.pt)))
		}
		b.WriteString("\r\n")
		for _, f := range d.formats {
			switch f.name {
			case "pcmu":
				b.WriteString("a=rtpmap:" + strconv.Itoa(int(f.pt)) + " PCMU/8000\r\n")
			case "pcma":
				b.WriteString("a=rtpmap:" + strconv.Itoa(int(f.pt)) + " PCMA/8000\r\n")
			case "telephone-event":
				pt := strconv.Itoa(int(f.pt))
				b.WriteString("a=rtpmap:" + pt + " telephone-event/8000\r\n")
				b.WriteString("a=fmtp:" + pt + " 0-16\r\n")
			}
		}
		b.WriteString("a=ptime:20\r\n")
		b.WriteString("a=" + d.dir.String() + "\r\n")
		if d.crypto != "" {
			b.WriteString("a=crypto:" + d.crypto + "\r\n")
		}
		for _, c := range d.offerCrypto {
			b.WriteString("a=crypto:" + c.value() + "\r\n")
		}
		if d.rtcpMux {
			b.WriteString("a=rtcp-mux\r\n")
		}
	}
	return []byte(b.String())
}

// codecFormat is our format entry for a codec sent with payload type pt.
func codecFormat(c media.Codec, pt uint8) format {
	return format{pt: pt, name: strings.ToLower(c.String()), rate: 8000}
}
