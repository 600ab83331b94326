package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Config is everything the flags and environment say. Every flag -x-y is
// also read from SWITCHBOARD_X_Y; a flag given on the command line wins.
type Config struct {
	SIPAddr        netip.AddrPort // -sip-addr; host may be unspecified (0.0.0.0)
	HTTPAddr       string         // -http-addr, host:port
	MediaIP        netip.Addr     // -media-ip
	RTPPortMin     int            // -rtp-ports low end (even)
	RTPPortMax     int            // -rtp-ports high end
	DataDir        string         // -data
	AdminToken     string         // -admin-token; "" = generated and stored in DataDir
	TrunkURI       string         // -trunk; "" = no outbound trunk
	TrunkAllow     []netip.Prefix // -trunk-allow; empty = any source
	TrunkUser      string         // -trunk-user: digest username for the outbound trunk's challenges
	TrunkPassword  string         // -trunk-password: digest password for the outbound trunk's challenges
	RTPTimeout     time.Duration  // -rtp-timeout
	ReconnectGrace time.Duration  // -reconnect-grace
	MOHFile        string         // -moh; "" = built-in music on hold
	AllowedOrigins []string       // -allowed-origins
	LogLevel       slog.Level     // -log-level
	WebRTCPort     int            // -webrtc-port: the one UDP port of every agent's WebRTC leg (0 = ephemeral)
	WebRTCEngine   string         // -webrtc-engine: "lean" (webrtcleg/lean), the only engine shipped
	Pprof          bool           // -pprof: serve /debug/pprof/ on the HTTP address (for profiling; off by default)
	MediaLoop      bool           // -media-loop: read every media socket on udploop's 1 ms clocks (media/udploop; Linux)
	Deploy         DeployConfig   // TLS, ACME, -public-ip, ICE servers (deploy.go)
	Limits         Limits         // §14 web-side limits (config_limits.go)
	Park           Park           // -park-slots, -park-timeout (config_park.go)
	Store          string         // -store: "" is the embedded SQLite in -data, else a postgres:// DSN (config_store.go)
	Cluster        ClusterConfig  // -cluster, -node-id, -node-addr, -cluster-lease (cluster.go)
	Voicemail      Voicemail      // -voicemail-max, -voicemail-retention (config_voicemail.go)
	Recording      Recording      // -recording-retention (config_recording.go)
	TrunkFlags     TrunkFlags     // -trunk-register, -trunk-caller-id (trunks.go)
	SIP            SIPLimits      // -sip-rate, -max-sip-conns, SIP timeouts, -sip-user-agent (config_sip.go)
}

// minRTPPorts is the smallest -rtp-ports range accepted: 2 calls.
const minRTPPorts = 4

// parseConfig parses args (without the program name) with getenv supplying
// SWITCHBOARD_* defaults, and validates the result. The error says which
// flag is wrong and why; flag.ErrHelp is returned for -h.
func parseConfig(args []string, getenv func(string) string, usage io.Writer) (Config, error) {
	fs := flag.NewFlagSet("switchboard", flag.ContinueOnError)
	fs.SetOutput(usage)
	var (
		sipAddr        = fs.String("sip-addr", ":5060", "SIP listen address, UDP and TCP")
		httpAddr       = fs.String("http-addr", ":8080", "HTTP listen address: web pages, websockets, /metrics, /healthz")
		mediaIP        = fs.String("media-ip", "", "IP address written into SDP and used for RTP sockets and ICE candidates (default: first non-loopback IPv4, else 127.0.0.1)")
		rtpPorts       = fs.String("rtp-ports", "10000-20000", "UDP port range for trunk RTP, low-high")
		dataDir        = fs.String("data", "./data", "directory for configuration and call records (created if missing)")
		adminToken     = fs.String("admin-token", "", "bearer token of the admin console (default: generated on first start, stored in the data dir)")
		trunk          = fs.String("trunk", "", "outbound SIP trunk URI, e.g. sip:carrier.example.net:5060;transport=udp")
		trunkAllow     = fs.String("trunk-allow", "", "comma-separated CIDRs allowed to send INVITEs (empty = any)")
		trunkUser      = fs.String("trunk-user", "", "digest username for the outbound trunk (-trunk) when it challenges with 401/407")
		trunkPassword  = fs.String("trunk-password", "", "digest password for the outbound trunk (prefer the environment variable SWITCHBOARD_TRUNK_PASSWORD)")
		rtpTimeout     = fs.Duration("rtp-timeout", 60*time.Second, "end a trunk call with BYE after this long without RTP (not while on hold)")
		reconnectGrace = fs.Duration("reconnect-grace", 30*time.Second, "how long an agent's calls survive a lost websocket before they end")
		moh            = fs.String("moh", "", "music-on-hold audio file (empty = built-in)")
		allowedOrigins = fs.String("allowed-origins", "", "comma-separated extra Origins allowed on the websockets (same origin is always allowed)")
		logLevel       = fs.String("log-level", "info", "log level: debug, info, warn, error")
		pprofOn        = fs.Bool("pprof", false, "serve Go profiling endpoints under /debug/pprof/ (admin token required)")
		mediaLoop      = fs.Bool("media-loop", true, "read the trunk legs' and the browsers' sockets on 1 ms clocks (media/udploop: one shard per GOMAXPROCS, the sockets spread over them, sendmmsg toward browsers; Linux) instead of a goroutine per socket: fewer system calls and wake-ups per packet, up to 1 ms more latency each way")
		webrtcPort     = fs.Int("webrtc-port", 20002, "UDP port shared by every agent's WebRTC leg (ICE UDP mux); 0 = ephemeral")
		webrtcEngine   = fs.String("webrtc-engine", "lean", "browser leg implementation: lean (ICE-lite + DTLS-SRTP on one socket), the only engine shipped; pion is a test oracle since issue 20")
	)
	applyDeploy := deployFlags(fs, getenv)
	checkLimits := limitFlags(fs)
	checkSIP := sipFlags(fs)
	checkPark := parkFlags(fs)
	checkStore := storeFlags(fs)
	checkCluster := clusterFlags(fs)
	checkVoicemail := voicemailFlags(fs)
	checkRecording := recordingFlags(fs)
	applyTrunk := trunkFlags(fs)
	// Environment first, as defaults; then the command line overrides.
	var envErrs []error
	fs.VisitAll(func(f *flag.Flag) {
		key := envName(f.Name)
		if v := getenv(key); v != "" {
			if err := f.Value.Set(v); err != nil {
				envErrs = append(envErrs, fmt.Errorf("%s=%q: %w", key, v, err))
			}
		}
	})
	if err := errors.Join(envErrs...); err != nil {
		return Config{}, err
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q (flags only)", fs.Arg(0))
	}

	var c Config
	var errs []error
	bad := func(flag, val string, why string) { errs = append(errs, fmt.Errorf("-%s %q: %s", flag, val, why)) }

	if ap, err := parseListenAddr(*sipAddr); err != nil {
		bad("sip-addr", *sipAddr, err.Error())
	} else {
		c.SIPAddr = ap
	}
	if _, err := parseListenAddr(*httpAddr); err != nil {
		bad("http-addr", *httpAddr, err.Error())
	} else {
		c.HTTPAddr = *httpAddr
	}
	if *mediaIP == "" {
		c.MediaIP = defaultMediaIP()
	} else if ip, err := netip.ParseAddr(*mediaIP); err != nil {
		bad("media-ip", *mediaIP, "not an IP address")
	} else if ip.IsUnspecified() || ip.IsMulticast() {
		bad("media-ip", *mediaIP, "must be a unicast address peers can send to")
	} else {
		c.MediaIP = ip.Unmap()
	}
	if lo, hi, err := parsePortRange(*rtpPorts); err != nil {
		bad("rtp-ports", *rtpPorts, err.Error())
	} else {
		c.RTPPortMin, c.RTPPortMax = lo, hi
	}
	if strings.TrimSpace(*dataDir) == "" {
		bad("data", *dataDir, "must not be empty")
	}
	c.DataDir = *dataDir
	c.AdminToken = *adminToken
	if *trunk != "" {
		if err := validateSIPURI(*trunk); err != nil {
			bad("trunk", *trunk, err.Error())
		}
	}
	c.TrunkURI = *trunk
	c.TrunkUser, c.TrunkPassword = *trunkUser, *trunkPassword
	c.TrunkAllow = commaList("trunk-allow", *trunkAllow, bad, parsePrefix)
	if *rtpTimeout <= 0 {
		bad("rtp-timeout", rtpTimeout.String(), "must be positive")
	}
	c.RTPTimeout = *rtpTimeout
	if *reconnectGrace < 0 {
		bad("reconnect-grace", reconnectGrace.String(), "must not be negative")
	}
	c.ReconnectGrace = *reconnectGrace
	c.MOHFile = *moh
	c.AllowedOrigins = commaList("allowed-origins", *allowedOrigins, bad, func(s string) (string, error) {
		if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
			return "", errors.New("an origin is scheme://host[:port], e.g. https://agents.example.com")
		}
		return strings.TrimSuffix(s, "/"), nil
	})
	if *webrtcPort < 0 || *webrtcPort > 65535 {
		bad("webrtc-port", strconv.Itoa(*webrtcPort), "must be a port 0-65535")
	} else if *webrtcPort != 0 && *webrtcPort >= c.RTPPortMin && *webrtcPort <= c.RTPPortMax {
		bad("webrtc-port", strconv.Itoa(*webrtcPort), "must be outside -rtp-ports")
	}
	c.WebRTCPort = *webrtcPort
	c.MediaLoop = *mediaLoop
	switch *webrtcEngine {
	case "lean":
		c.WebRTCEngine = *webrtcEngine
	case "pion":
		bad("webrtc-engine", *webrtcEngine, "the pion engine is no longer shipped (it is the test oracle of media/webrtcleg/lean); use lean")
	default:
		bad("webrtc-engine", *webrtcEngine, "want lean")
	}
	c.Pprof = *pprofOn
	checkLimits(&c, bad)
	checkPark(&c, bad)
	checkStore(&c, bad)
	checkCluster(&c, bad)
	checkVoicemail(&c, bad)
	checkRecording(&c, bad)
	checkSIP(&c, bad)
	if err := c.LogLevel.UnmarshalText([]byte(*logLevel)); err != nil {
		bad("log-level", *logLevel, "want debug, info, warn or error")
	}
	applyDeploy(&c, bad)
	applyTrunk(&c, bad)
	return c, errors.Join(errs...)
}

// envName maps a flag name to its environment variable: sip-addr ->
// SWITCHBOARD_SIP_ADDR.
func envName(flag string) string {
	return "SWITCHBOARD_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// parseListenAddr accepts host:port with an IP or empty host and a port
// 0..65535 (":5060", "0.0.0.0:5060", "[::1]:5060").
func parseListenAddr(s string) (netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return netip.AddrPort{}, errors.New("want host:port, e.g. :5060 or 127.0.0.1:5060")
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port %q is not a number 0-65535", port)
	}
	ip := netip.IPv4Unspecified()
	if host != "" {
		if ip, err = netip.ParseAddr(host); err != nil {
			return netip.AddrPort{}, fmt.Errorf("host %q is not an IP address", host)
		}
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(p)), nil
}

// parsePortRange parses "low-high": 1024 <= low < high <= 65535, low even
// (RTP on even ports, RFC 3550 §11), at least minRTPPorts ports.
func parsePortRange(s string) (lo, hi int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, errors.New("want a range low-high, e.g. 10000-20000")
	}
	lo, err1 := strconv.Atoi(strings.TrimSpace(a))
	hi, err2 := strconv.Atoi(strings.TrimSpace(b))
	switch {
	case err1 != nil || err2 != nil:
		return 0, 0, errors.New("want two port numbers low-high, e.g. 10000-20000")
	case lo < 1024 || hi > 65535:
		return 0, 0, errors.New("ports must be within 1024-65535")
	case lo >= hi:
		return 0, 0, fmt.Errorf("low port %d must be below high port %d", lo, hi)
	case lo%2 != 0:
		return 0, 0, fmt.Errorf("low port %d must be even (RTP uses even ports)", lo)
	case hi-lo+1 < minRTPPorts:
		return 0, 0, fmt.Errorf("range holds %d ports, need at least %d", hi-lo+1, minRTPPorts)
	}
	return lo, hi, nil
}

// commaList parses the comma-separated items of a flag's value (spaces
// trimmed, empty items skipped) with parse; an item it refuses is reported
// by bad and left out.
func commaList[T any](flag, value string, bad func(flag, val, why string), parse func(string) (T, error)) []T {
	var out []T
	for s := range strings.SplitSeq(value, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		v, err := parse(s)
		if err != nil {
			bad(flag, s, err.Error())
			continue
		}
		out = append(out, v)
	}
	return out
}

// parsePrefix accepts a CIDR or a bare IP (a /32 or /128).
func parsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, errors.New("not a CIDR (e.g. 192.0.2.0/24) or IP address")
		}
		return netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, errors.New("not a CIDR (e.g. 192.0.2.0/24) or IP address")
	}
	return p.Masked(), nil
}

// validateSIPURI checks a trunk URI: sip: or sips:, a host, an optional
// port, and an optional transport=udp|tcp parameter.
func validateSIPURI(s string) error {
	rest, ok := strings.CutPrefix(s, "sip:")
	if !ok {
		if rest, ok = strings.CutPrefix(s, "sips:"); !ok {
			return errors.New("want a SIP URI, e.g. sip:carrier.example.net:5060;transport=udp")
		}
	}
	hostport, params, _ := strings.Cut(rest, ";")
	if _, hp, found := strings.Cut(hostport, "@"); found {
		hostport = hp
	}
	if hostport == "" || strings.ContainsAny(hostport, " \t<>\"") {
		return errors.New("missing or invalid host")
	}
	host := hostport
	if h, port, err := net.SplitHostPort(hostport); err == nil {
		if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
			return fmt.Errorf("port %q is not a number 1-65535", port)
		}
		host = h
	} else if strings.Count(hostport, ":") == 1 {
		return errors.New("invalid host:port")
	}
	if host == "" {
		return errors.New("missing host")
	}
	for p := range strings.SplitSeq(params, ";") {
		k, v, _ := strings.Cut(p, "=")
		if strings.EqualFold(k, "transport") && !strings.EqualFold(v, "udp") && !strings.EqualFold(v, "tcp") {
			return fmt.Errorf("transport %q not supported (udp or tcp)", v)
		}
	}
	return nil
}

// defaultMediaIP returns the first non-loopback IPv4 address of an up
// interface, else 127.0.0.1.
func defaultMediaIP() netip.Addr {
	ifs, err := net.Interfaces()
	if err == nil {
		for _, ifc := range ifs {
			if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
				continue
			}
			addrs, err := ifc.Addrs()
			if err != nil {
				continue
			}
			for _, a := range addrs {
				if n, ok := a.(*net.IPNet); ok {
					if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap().Is4() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() {
						return ip.Unmap()
					}
				}
			}
		}
	}
	return netip.AddrFrom4([4]byte{127, 0, 0, 1})
}
