package main

import (
	"io"
	"net/netip"
	"strings"
	"testing"

	"switchboard/media/rtpleg"
)

func TestParseDeployFlags(t *testing.T) {
	valid := []struct {
		name  string
		args  []string
		env   []string
		check func(d DeployConfig) bool
	}{
		{"defaults", nil, nil, func(d DeployConfig) bool {
			return !d.TLS() && d.HTTPSAddr == ":8443" && d.SIPTLSAddr == netip.MustParseAddrPort("0.0.0.0:5061") && !d.PublicIP.IsValid()
		}},
		{"tls files", []string{"-tls-cert", "c.pem", "-tls-key", "k.pem", "-https-addr", "127.0.0.1:9443", "-sip-tls-addr", "127.0.0.1:5071"}, nil,
			func(d DeployConfig) bool {
				return d.TLS() && d.TLSCert == "c.pem" && d.HTTPSAddr == "127.0.0.1:9443" && d.SIPTLSAddr.Port() == 5071
			}},
		{"acme", []string{"-acme-domains", "Agents.Example.com, b.example.com", "-acme-email", "ops@example.com", "-acme-ca", "https://127.0.0.1:14000/dir"}, nil,
			func(d DeployConfig) bool {
				return d.TLS() && len(d.ACMEDomains) == 2 && d.ACMEDomains[0] == "agents.example.com" && d.ACMECA == "https://127.0.0.1:14000/dir"
			}},
		{"trunk srtp", []string{"-trunk-srtp", "required"}, nil, func(d DeployConfig) bool { return d.TrunkSRTP == rtpleg.SRTPRequired }},
		{"acme takes the standard ports", []string{"-acme-domains", "a.example.com"}, nil,
			func(d DeployConfig) bool { return d.HTTPSAddr == ":443" }},
		{"acme keeps explicit ports", []string{"-acme-domains", "a.example.com", "-https-addr", ":8443"}, nil,
			func(d DeployConfig) bool { return d.HTTPSAddr == ":8443" }},
		{"acme keeps ports from env", []string{"-acme-domains", "a.example.com"}, []string{"SWITCHBOARD_HTTPS_ADDR", "127.0.0.1:9443"},
			func(d DeployConfig) bool { return d.HTTPSAddr == "127.0.0.1:9443" }},
		{"trusted proxies", []string{"-trusted-proxies", "127.0.0.1, 10.0.0.0/8"}, nil,
			func(d DeployConfig) bool {
				return len(d.TrustedProxies) == 2 && d.TrustedProxies[0] == netip.MustParsePrefix("127.0.0.1/32")
			}},
		{"public ip", []string{"-public-ip", "203.0.113.7"}, nil, func(d DeployConfig) bool { return d.PublicIP == netip.MustParseAddr("203.0.113.7") }},
		{"ice servers and secret from env", []string{"-ice-servers", "stun:stun.example.net:3478, turn:turn.example.net?transport=tcp,turns:turn.example.net:5349"},
			[]string{"SWITCHBOARD_TURN_SECRET", "s3cret"},
			func(d DeployConfig) bool { return len(d.ICEServers) == 3 && d.TURNSecret == "s3cret" }},
	}
	for _, tt := range valid {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(tt.args, env(tt.env...), io.Discard)
			if err != nil {
				t.Fatalf("parseConfig(%q) = %v, want nil", tt.args, err)
			}
			if !tt.check(c.Deploy) {
				t.Errorf("parseConfig(%q) Deploy = %+v: unexpected values", tt.args, c.Deploy)
			}
		})
	}
	invalid := []struct {
		name string
		args []string
		want string
	}{
		{"cert without key", []string{"-tls-cert", "c.pem"}, "-tls-key go together"},
		{"key without cert", []string{"-tls-key", "k.pem"}, "-tls-key go together"},
		{"https addr", []string{"-https-addr", "nope"}, "-https-addr"},
		{"sip tls addr", []string{"-sip-tls-addr", ":99999"}, "-sip-tls-addr"},
		{"acme domain", []string{"-acme-domains", "https://x.example.com"}, "not a DNS host name"},
		{"acme and files", []string{"-acme-domains", "a.example.com", "-tls-cert", "c", "-tls-key", "k"}, "not both"},
		{"acme ca", []string{"-acme-ca", "pebble"}, "-acme-ca"},
		{"public ip", []string{"-public-ip", "cloud"}, `-public-ip "cloud": not an IP address`},
		{"public ip v6", []string{"-public-ip", "2001:db8::1"}, "IPv4"},
		{"ice url scheme", []string{"-ice-servers", "http://turn.example.net"}, "scheme"},
		{"ice url query", []string{"-ice-servers", "stun:s?transport=tcp"}, "only turn"},
		{"trunk srtp", []string{"-trunk-srtp", "maybe"}, "-trunk-srtp"},
		{"trusted proxies", []string{"-trusted-proxies", "proxy.local"}, "-trusted-proxies"},
		{"turn secret without turn", []string{"-turn-secret", "x", "-ice-servers", "stun:s"}, "needs a turn"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig(tt.args, env(), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseConfig(%q) = %v, want error containing %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestACMEDefaultHTTPAddr(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-acme-domains", "a.example.com"}, ":80"},
		{[]string{"-acme-domains", "a.example.com", "-http-addr", "127.0.0.1:8080"}, "127.0.0.1:8080"},
		{[]string{"-tls-cert", "c", "-tls-key", "k"}, ":8080"},
	} {
		c, err := parseConfig(tt.args, env(), io.Discard)
		if err != nil || c.HTTPAddr != tt.want {
			t.Errorf("parseConfig(%q).HTTPAddr = %q, %v; want %q", tt.args, c.HTTPAddr, err, tt.want)
		}
	}
}
