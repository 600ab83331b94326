package main

import (
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestParseConfigDefaults(t *testing.T) {
	c, err := parseConfig(nil, env(), io.Discard)
	if err != nil {
		t.Fatalf("parseConfig(nil) = %v", err)
	}
	if got, want := c.SIPAddr, netip.MustParseAddrPort("0.0.0.0:5060"); got != want {
		t.Errorf("SIPAddr = %v, want %v", got, want)
	}
	if c.HTTPAddr != ":8080" || c.RTPPortMin != 10000 || c.RTPPortMax != 20000 || c.DataDir != "./data" {
		t.Errorf("defaults = %+v", c)
	}
	if c.RTPTimeout != 60*time.Second || c.ReconnectGrace != 30*time.Second || c.LogLevel != slog.LevelInfo {
		t.Errorf("duration/log defaults = %v %v %v", c.RTPTimeout, c.ReconnectGrace, c.LogLevel)
	}
	if !c.MediaIP.IsValid() || !c.MediaIP.Is4() {
		t.Errorf("MediaIP = %v, want an IPv4 address", c.MediaIP)
	}
	if len(c.TrunkAllow) != 0 || c.TrunkURI != "" {
		t.Errorf("TrunkAllow/TrunkURI = %v %q, want empty", c.TrunkAllow, c.TrunkURI)
	}
}

func TestParseConfigValid(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		env   []string
		check func(c Config) bool
	}{
		{"flags", []string{"-sip-addr", "127.0.0.1:5070", "-media-ip", "127.0.0.1", "-rtp-ports", "30000-30099"}, nil,
			func(c Config) bool {
				return c.SIPAddr == netip.MustParseAddrPort("127.0.0.1:5070") && c.MediaIP == netip.MustParseAddr("127.0.0.1") && c.RTPPortMin == 30000 && c.RTPPortMax == 30099
			}},
		{"env", nil, []string{"SWITCHBOARD_SIP_ADDR", "127.0.0.1:5080", "SWITCHBOARD_RTP_TIMEOUT", "5s", "SWITCHBOARD_TRUNK_ALLOW", "10.0.0.0/8, 192.0.2.7"},
			func(c Config) bool {
				return c.SIPAddr.Port() == 5080 && c.RTPTimeout == 5*time.Second && len(c.TrunkAllow) == 2 &&
					c.TrunkAllow[0] == netip.MustParsePrefix("10.0.0.0/8") && c.TrunkAllow[1] == netip.MustParsePrefix("192.0.2.7/32")
			}},
		{"flag wins over env", []string{"-http-addr", "127.0.0.1:9999"}, []string{"SWITCHBOARD_HTTP_ADDR", "127.0.0.1:1111"},
			func(c Config) bool { return c.HTTPAddr == "127.0.0.1:9999" }},
		{"trunk uri", []string{"-trunk", "sip:carrier.example.net:5060;transport=udp"}, nil,
			func(c Config) bool { return c.TrunkURI == "sip:carrier.example.net:5060;transport=udp" }},
		{"trunk credentials", []string{"-trunk", "sip:192.0.2.1", "-trunk-user", "acme"}, []string{"SWITCHBOARD_TRUNK_PASSWORD", "s3cret", "SWITCHBOARD_TRUNK_USER", "other"},
			func(c Config) bool { return c.TrunkUser == "acme" && c.TrunkPassword == "s3cret" }},
		{"trunk uri with user", []string{"-trunk", "sip:gw@192.0.2.1"}, nil, func(c Config) bool { return c.TrunkURI != "" }},
		{"ipv6 sip addr", []string{"-sip-addr", "[::1]:5060"}, nil, func(c Config) bool { return c.SIPAddr.Addr() == netip.IPv6Loopback() }},
		{"origins", []string{"-allowed-origins", "https://a.example, http://b.example:8080/"}, nil,
			func(c Config) bool {
				return len(c.AllowedOrigins) == 2 && c.AllowedOrigins[1] == "http://b.example:8080"
			}},
		{"log level", []string{"-log-level", "debug"}, nil, func(c Config) bool { return c.LogLevel == slog.LevelDebug }},
		{"sip limits default", nil, nil, func(c Config) bool {
			return c.SIP == SIPLimits{Rate: 20, MaxConns: 4096, TCPIdle: 60 * time.Second, ReadTimeout: 10 * time.Second, UserAgent: "Switchboard"}
		}},
		{"sip limits", []string{"-sip-rate", "2.5", "-max-sip-conns", "10", "-sip-tcp-idle", "5s", "-sip-read-timeout", "1s", "-sip-user-agent", ""},
			[]string{"SWITCHBOARD_SIP_RATE", "99"}, func(c Config) bool {
				return c.SIP == SIPLimits{Rate: 2.5, MaxConns: 10, TCPIdle: 5 * time.Second, ReadTimeout: time.Second, UserAgent: ""}
			}},
		{"all the rest", []string{"-data", "/tmp/x", "-admin-token", "tok", "-reconnect-grace", "0s", "-moh", "m.wav"}, nil,
			func(c Config) bool {
				return c.DataDir == "/tmp/x" && c.AdminToken == "tok" && c.ReconnectGrace == 0 && c.MOHFile == "m.wav"
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(tt.args, env(tt.env...), io.Discard)
			if err != nil {
				t.Fatalf("parseConfig(%q) = %v, want nil", tt.args, err)
			}
			if !tt.check(c) {
				t.Errorf("parseConfig(%q, %q) = %+v: unexpected values", tt.args, tt.env, c)
			}
		})
	}
}

func TestParseConfigInvalid(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  []string
		want string // substring of the error
	}{
		{"reversed range", []string{"-rtp-ports", "20000-10000"}, nil, `-rtp-ports "20000-10000": low port 20000 must be below high port 10000`},
		{"range not numbers", []string{"-rtp-ports", "abc"}, nil, `-rtp-ports "abc": want a range`},
		{"range half numbers", []string{"-rtp-ports", "abc-def"}, nil, "want two port numbers"},
		{"odd low port", []string{"-rtp-ports", "10001-20000"}, nil, "must be even"},
		{"range too small", []string{"-rtp-ports", "10000-10001"}, nil, "need at least 4"},
		{"privileged ports", []string{"-rtp-ports", "100-2000"}, nil, "within 1024-65535"},
		{"too high", []string{"-rtp-ports", "60000-70000"}, nil, "within 1024-65535"},
		{"sip addr no port", []string{"-sip-addr", "127.0.0.1"}, nil, "-sip-addr"},
		{"sip addr bad port", []string{"-sip-addr", ":99999"}, nil, "not a number"},
		{"sip addr hostname", []string{"-sip-addr", "localhost:5060"}, nil, "not an IP address"},
		{"http addr", []string{"-http-addr", "nope"}, nil, "-http-addr"},
		{"media ip", []string{"-media-ip", "1.2.3"}, nil, `-media-ip "1.2.3": not an IP address`},
		{"media ip unspecified", []string{"-media-ip", "0.0.0.0"}, nil, "unicast"},
		{"bad cidr", []string{"-trunk-allow", "10.0.0.0/8,300.1.1.0/24"}, nil, `-trunk-allow "300.1.1.0/24"`},
		{"bad cidr env", nil, []string{"SWITCHBOARD_TRUNK_ALLOW", "10.0.0.0/33"}, "-trunk-allow"},
		{"trunk not sip", []string{"-trunk", "http://carrier"}, nil, `-trunk "http://carrier": want a SIP URI`},
		{"trunk bad port", []string{"-trunk", "sip:carrier:abc"}, nil, "-trunk"},
		{"trunk bad transport", []string{"-trunk", "sip:carrier;transport=sctp"}, nil, "not supported"},
		{"trunk empty host", []string{"-trunk", "sip:"}, nil, "host"},
		{"rtp timeout zero", []string{"-rtp-timeout", "0s"}, nil, "-rtp-timeout"},
		{"env bad duration", nil, []string{"SWITCHBOARD_RTP_TIMEOUT", "soon"}, "SWITCHBOARD_RTP_TIMEOUT"},
		{"pion engine not shipped", []string{"-webrtc-engine", "pion"}, nil, "no longer shipped"},
		{"unknown engine", []string{"-webrtc-engine", "janus"}, nil, "want lean"},
		{"log level", []string{"-log-level", "loud"}, nil, "-log-level"},
		{"origin", []string{"-allowed-origins", "example.com"}, nil, "-allowed-origins"},
		{"unknown flag", []string{"-nope"}, nil, "not defined"},
		{"store not postgres", []string{"-store", "mysql://u:secret@db/x"}, nil, `-store "mysql://u:xxxxx@db/x": want empty`},
		{"cluster not redis", []string{"-cluster", "http://r:6379"}, nil, `-cluster "http://r:6379"`},
		{"node id with space", []string{"-cluster", "redis://r:6379/0", "-node-id", "a b"}, nil, "-node-id"},
		{"node addr no port", []string{"-cluster", "redis://r:6379/0", "-node-addr", "10.0.0.2"}, nil, "-node-addr"},
		{"cluster lease short", []string{"-cluster", "redis://r:6379/0", "-cluster-lease", "10ms"}, nil, "-cluster-lease"},
		{"positional", []string{"extra"}, nil, "unexpected argument"},
		{"empty data", []string{"-data", " "}, nil, "-data"},
		{"sip rate", []string{"-sip-rate", "0"}, nil, "-sip-rate"},
		{"max sip conns", []string{"-max-sip-conns", "0"}, nil, "-max-sip-conns"},
		{"sip tcp idle", []string{"-sip-tcp-idle", "0s"}, nil, "-sip-tcp-idle"},
		{"sip read timeout", []string{"-sip-read-timeout", "-1s"}, nil, "-sip-read-timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig(tt.args, env(tt.env...), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseConfig(%q, %q) = %v, want error containing %q", tt.args, tt.env, err, tt.want)
			}
		})
	}
}

func TestParseConfigHelp(t *testing.T) {
	var sb strings.Builder
	_, err := parseConfig([]string{"-h"}, env(), &sb)
	if !errors.Is(err, flag.ErrHelp) {
		t.Errorf("parseConfig(-h) = %v, want flag.ErrHelp", err)
	}
	for _, f := range []string{"-sip-addr", "-http-addr", "-media-ip", "-rtp-ports", "-data", "-admin-token", "-trunk", "-trunk-allow", "-trunk-user", "-trunk-password", "-rtp-timeout", "-reconnect-grace", "-moh", "-allowed-origins", "-log-level"} {
		if !strings.Contains(sb.String(), f) {
			t.Errorf("usage lacks %s", f)
		}
	}
}

func TestEnvName(t *testing.T) {
	if got := envName("sip-addr"); got != "SWITCHBOARD_SIP_ADDR" {
		t.Errorf("envName(sip-addr) = %q", got)
	}
}
