package leanclient

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"

	"switchboard/media"
	"switchboard/media/browserleg"
)

// maxSDP bounds a remote description; real ones are a few KiB.
const maxSDP = 64 << 10

// remoteDesc is what the client needs from the peer's SDP.
type remoteDesc struct {
	addr        netip.AddrPort // the first IPv4 UDP host candidate, else c=/m=
	ufrag, pwd  string
	fingerprint []byte // sha-256 of the peer's certificate
	lite        bool   // a=ice-lite: the client must be controlling
	setup       string // a=setup value ("" if none)
	mid         string // the audio section's a=mid ("" if none)
	pt          int    // the payload type of the client's codec
}

// parseRemote reads the peer's offer or answer for codec.
func parseRemote(raw []byte, codec media.Codec) (*remoteDesc, error) {
	if len(raw) == 0 || len(raw) > maxSDP {
		return nil, fmt.Errorf("sdp of %d bytes", len(raw))
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(string(raw)); err != nil {
		return nil, fmt.Errorf("sdp: %w", err)
	}
	var md *sdp.MediaDescription
	for _, m := range sd.MediaDescriptions {
		if m.MediaName.Media == "audio" && m.MediaName.Port.Value != 0 {
			md = m
			break
		}
	}
	if md == nil {
		return nil, errors.New("sdp: no audio section")
	}
	attr := func(key string) string {
		if v, ok := md.Attribute(key); ok {
			return v
		}
		v, _ := sd.Attribute(key)
		return v
	}
	d := &remoteDesc{ufrag: attr("ice-ufrag"), pwd: attr("ice-pwd"), setup: attr("setup"), mid: attr("mid"), pt: -1}
	_, d.lite = sd.Attribute("ice-lite")
	if d.ufrag == "" || d.pwd == "" {
		return nil, errors.New("sdp: no ice-ufrag/ice-pwd")
	}
	if d.setup == "active" {
		return nil, errors.New("sdp: a=setup:active (the client is the DTLS client)")
	}
	algo, value, _ := strings.Cut(attr("fingerprint"), " ")
	fp, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(value), ":", ""))
	if !strings.EqualFold(algo, "sha-256") || err != nil || len(fp) != sha256.Size {
		return nil, fmt.Errorf("sdp: no sha-256 fingerprint (%q)", attr("fingerprint"))
	}
	d.fingerprint = fp
	for _, a := range md.Attributes {
		if a.Key == "candidate" && !d.addr.IsValid() {
			d.addr = hostCandidate(a.Value)
		}
	}
	if !d.addr.IsValid() {
		c := md.ConnectionInformation
		if c == nil {
			c = sd.ConnectionInformation
		}
		if c != nil && c.Address != nil {
			if ip, err := netip.ParseAddr(c.Address.Address); err == nil {
				d.addr = netip.AddrPortFrom(ip, uint16(md.MediaName.Port.Value))
			}
		}
	}
	if !d.addr.IsValid() || d.addr.Port() == 0 {
		return nil, errors.New("sdp: no usable candidate or address")
	}
	for _, f := range md.MediaName.Formats {
		pt, err := strconv.ParseUint(f, 10, 7)
		if err != nil {
			continue
		}
		if browserleg.CodecForFormat(md, uint8(pt)) == codec {
			d.pt = int(pt)
			break
		}
	}
	if d.pt < 0 {
		return nil, fmt.Errorf("sdp: %v not offered", codec)
	}
	return d, nil
}

// hostCandidate parses "foundation component udp priority ip port typ
// host ..." and returns the address of a component-1 IPv4 UDP host
// candidate, else the zero value.
func hostCandidate(v string) netip.AddrPort {
	f := strings.Fields(v)
	if len(f) < 8 || f[1] != "1" || !strings.EqualFold(f[2], "udp") || f[6] != "typ" || f[7] != "host" {
		return netip.AddrPort{}
	}
	ip, err := netip.ParseAddr(f[4])
	port, perr := strconv.ParseUint(f[5], 10, 16)
	if err != nil || perr != nil || !ip.Is4() {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ip, uint16(port))
}

// localDesc writes the client's SDP: one audio section with one host
// candidate. setup is "actpass" (offer) or "active" (answer); mid is the
// section's a=mid ("" for none, as in an answer to an offer without one).
func (c *Client) localDesc(setup, mid string, pt int) []byte {
	var b strings.Builder
	ip, port := c.local.Addr().String(), strconv.Itoa(int(c.local.Port()))
	line := func(s ...string) {
		for _, x := range s {
			b.WriteString(x)
		}
		b.WriteString("\r\n")
	}
	line("v=0")
	line("o=- ", strconv.FormatUint(c.sessionID, 10), " 2 IN IP4 ", ip)
	line("s=-")
	line("t=0 0")
	if mid != "" {
		line("a=group:BUNDLE ", mid)
	}
	line("m=audio ", port, " UDP/TLS/RTP/SAVPF ", strconv.Itoa(pt))
	line("c=IN IP4 ", ip)
	line("a=candidate:1 1 udp 2130706431 ", ip, " ", port, " typ host")
	line("a=end-of-candidates")
	line("a=ice-ufrag:", c.ufrag)
	line("a=ice-pwd:", c.pwd)
	line("a=fingerprint:", c.pool.fingerprint)
	line("a=setup:", setup)
	if mid != "" {
		line("a=mid:", mid)
	}
	line("a=sendrecv")
	line("a=rtcp-mux")
	line("a=rtpmap:", strconv.Itoa(pt), " ", c.cfg.Codec.String(), "/8000")
	ssrc := strconv.FormatUint(uint64(c.ssrc), 10)
	line("a=ssrc:", ssrc, " cname:sbload")
	return []byte(b.String())
}
