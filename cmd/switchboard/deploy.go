package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"switchboard/certs"
	"switchboard/media/rtpleg"
	"switchboard/web"
)

// DeployConfig is the secure and real deployment part of Config
// (PROTOCOL §8): TLS, ACME, 1:1 NAT, ICE servers for browsers.
type DeployConfig struct {
	TLSCert, TLSKey string            // -tls-cert, -tls-key: PEM files; both or neither
	HTTPSAddr       string            // -https-addr, host:port
	SIPTLSAddr      netip.AddrPort    // -sip-tls-addr
	ACMEDomains     []string          // -acme-domains; empty = no ACME
	ACMECA          string            // -acme-ca: directory URL
	ACMECARoots     string            // -acme-ca-roots: PEM file of extra roots for the directory
	ACMEEmail       string            // -acme-email
	PublicIP        netip.Addr        // -public-ip; invalid = MediaIP
	ICEServers      []string          // -ice-servers: stun:/turn:/turns: URLs
	TURNSecret      string            // -turn-secret: coturn static-auth-secret
	TrunkSRTP       rtpleg.SRTPPolicy // -trunk-srtp: SDES-SRTP toward the trunk
	TrustedProxies  []netip.Prefix    // -trusted-proxies: reverse proxies whose X-Forwarded-For is believed
}

// TLS reports whether a certificate source is configured.
func (d DeployConfig) TLS() bool { return d.TLSCert != "" || len(d.ACMEDomains) > 0 }

// ACME's standard ports: a CA validates TLS-ALPN-01 on 443 and HTTP-01 on
// 80 (RFC 8737 §3, RFC 8555 §8.3).
const (
	acmeHTTPSAddr = ":443"
	acmeHTTPAddr  = ":80"
)

// deployFlags registers the §8 flags on fs and returns the function that
// validates them into c once fs is parsed; bad records a flag error.
// getenv tells which flags the environment set.
func deployFlags(fs *flag.FlagSet, getenv func(string) string) func(c *Config, bad func(flag, val, why string)) {
	var (
		tlsCert    = fs.String("tls-cert", "", "PEM certificate chain: serve the pages and websockets over HTTPS on -https-addr, and SIP over TLS on -sip-tls-addr; SIGHUP reloads it")
		tlsKey     = fs.String("tls-key", "", "PEM private key of -tls-cert")
		httpsAddr  = fs.String("https-addr", ":8443", "HTTPS listen address (only with -tls-cert or -acme-domains; with -acme-domains the default is :443, and -http-addr's :80); -http-addr then keeps /healthz and /metrics and redirects the rest")
		sipTLSAddr = fs.String("sip-tls-addr", ":5061", "SIP over TLS listen address (only with -tls-cert or -acme-domains)")
		acmeDoms   = fs.String("acme-domains", "", "comma-separated host names to get certificates for from an ACME CA (TLS-ALPN-01 on -https-addr, HTTP-01 on -http-addr), cached under -data")
		acmeCA     = fs.String("acme-ca", certs.LetsEncrypt, "ACME directory URL")
		acmeRoots  = fs.String("acme-ca-roots", "", "PEM file of extra root certificates trusted for the ACME directory (a test CA such as Pebble)")
		acmeEmail  = fs.String("acme-email", "", "ACME account contact e-mail")
		publicIP   = fs.String("public-ip", "", "address written into SDP, ICE candidates and SIP Contact/Via behind 1:1 NAT (default: -media-ip); sockets still bind -media-ip")
		iceServers = fs.String("ice-servers", "", "comma-separated STUN/TURN URLs handed to browsers at login (stun:, turn:, turns:, with ?transport=udp|tcp)")
		trunkSRTP  = fs.String("trunk-srtp", "off", "SRTP toward the trunk with SDES keys (RFC 4568 a=crypto, AES_CM_128_HMAC_SHA1_80/_32): off, optional (SRTP when offered) or required (a plain offer gets 488; outbound offers RTP/SAVP)")
		proxies    = fs.String("trusted-proxies", "", "comma-separated CIDRs of reverse proxies in front of the HTTP(S) listener: their X-Forwarded-For names the client for websocket limits and logs (e.g. 127.0.0.1/32)")
		turnSecret = fs.String("turn-secret", "", "coturn static-auth-secret: each login gets TURN credentials valid 12 h (prefer SWITCHBOARD_TURN_SECRET)")
	)
	return func(c *Config, bad func(flag, val, why string)) {
		d := &c.Deploy
		d.TLSCert, d.TLSKey = *tlsCert, *tlsKey
		if (d.TLSCert == "") != (d.TLSKey == "") {
			bad("tls-cert", *tlsCert, "-tls-cert and -tls-key go together")
		}
		if _, err := parseListenAddr(*httpsAddr); err != nil {
			bad("https-addr", *httpsAddr, err.Error())
		}
		d.HTTPSAddr = *httpsAddr
		if ap, err := parseListenAddr(*sipTLSAddr); err != nil {
			bad("sip-tls-addr", *sipTLSAddr, err.Error())
		} else {
			d.SIPTLSAddr = ap
		}
		d.ACMEDomains = commaList("acme-domains", *acmeDoms, bad, func(s string) (string, error) {
			if strings.ContainsAny(s, " /:*@") || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") {
				return "", errors.New("not a DNS host name")
			}
			return strings.ToLower(s), nil
		})
		if len(d.ACMEDomains) > 0 && d.TLSCert != "" {
			bad("acme-domains", *acmeDoms, "use either -acme-domains or -tls-cert, not both")
		}
		if len(d.ACMEDomains) > 0 {
			// `switchboard -acme-domains NAME` on a fresh host: the CA can
			// only reach the standard ports, so they are the defaults then.
			if !explicit(fs, getenv, "https-addr") {
				d.HTTPSAddr = acmeHTTPSAddr
			}
			if !explicit(fs, getenv, "http-addr") {
				c.HTTPAddr = acmeHTTPAddr
			}
		}
		if u, err := url.Parse(*acmeCA); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("acme-ca", *acmeCA, "want the directory URL, e.g. "+certs.LetsEncrypt)
		}
		d.ACMECA, d.ACMECARoots, d.ACMEEmail = *acmeCA, *acmeRoots, *acmeEmail
		if *publicIP != "" {
			ip, err := netip.ParseAddr(*publicIP)
			switch {
			case err != nil:
				bad("public-ip", *publicIP, "not an IP address")
			case !ip.Unmap().Is4() || ip.IsUnspecified() || ip.IsMulticast():
				bad("public-ip", *publicIP, "must be a unicast IPv4 address")
			default:
				d.PublicIP = ip.Unmap()
			}
		}
		d.ICEServers = commaList("ice-servers", *iceServers, bad, func(s string) (string, error) { return s, validateICEURL(s) })
		if p, err := rtpleg.ParseSRTPPolicy(*trunkSRTP); err != nil {
			bad("trunk-srtp", *trunkSRTP, "want off, optional or required")
		} else {
			d.TrunkSRTP = p
		}
		d.TrustedProxies = commaList("trusted-proxies", *proxies, bad, parsePrefix)
		d.TURNSecret = *turnSecret
		if d.TURNSecret != "" && !hasTURN(d.ICEServers) {
			bad("turn-secret", "…", "needs a turn: or turns: URL in -ice-servers")
		}
	}
}

// explicit reports whether flag name was given on the command line or in
// its environment variable.
func explicit(fs *flag.FlagSet, getenv func(string) string, name string) bool {
	if getenv(envName(name)) != "" {
		return true
	}
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// validateICEURL checks a STUN/TURN URL (RFC 7064, RFC 7065).
func validateICEURL(s string) error {
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || rest == "" {
		return errors.New("want stun:host[:port], turn:host[:port][?transport=udp|tcp] or turns:host[:port]")
	}
	switch scheme {
	case "stun", "stuns", "turn", "turns":
	default:
		return fmt.Errorf("scheme %q: want stun, stuns, turn or turns", scheme)
	}
	hostport, query, _ := strings.Cut(rest, "?")
	if hostport == "" || strings.HasPrefix(hostport, "//") || strings.ContainsAny(hostport, " /@") {
		return errors.New("missing or invalid host")
	}
	if query != "" {
		if !strings.HasPrefix(scheme, "turn") || (query != "transport=udp" && query != "transport=tcp") {
			return errors.New("only turn: and turns: take ?transport=udp or ?transport=tcp")
		}
	}
	return nil
}

func hasTURN(urls []string) bool {
	for _, u := range urls {
		if strings.HasPrefix(u, "turn:") || strings.HasPrefix(u, "turns:") {
			return true
		}
	}
	return false
}

// certSource is where TLS certificates come from (certs.Files or certs.ACME).
type certSource interface {
	GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error)
	TLSConfig() *tls.Config
}

// tlsSetup builds the certificate source the flags ask for (nil without
// TLS) and the web server's TLS settings.
func tlsSetup(cfg Config, log *slog.Logger) (certSource, *certs.Files, func(web.Config) web.Config, error) {
	d := cfg.Deploy
	switch {
	case d.TLSCert != "":
		f, err := certs.LoadFiles(d.TLSCert, d.TLSKey)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("-tls-cert: %w", err)
		}
		serial, exp := f.Describe()
		log.Info("certificate loaded", "serial", serial, "not_after", exp)
		return f, f, func(w web.Config) web.Config {
			w.TLS, w.TLSAddr = f.TLSConfig(), d.HTTPSAddr
			return w
		}, nil
	case len(d.ACMEDomains) > 0:
		ac := certs.ACMEConfig{Domains: d.ACMEDomains, DirectoryURL: d.ACMECA, Email: d.ACMEEmail, CacheDir: filepath.Join(cfg.DataDir, "acme"), Logger: log}
		if d.ACMECARoots != "" {
			pem, err := os.ReadFile(d.ACMECARoots)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("-acme-ca-roots: %w", err)
			}
			pool, err := x509.SystemCertPool()
			if err != nil || pool == nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, nil, nil, fmt.Errorf("-acme-ca-roots %s: no PEM certificate found", d.ACMECARoots)
			}
			ac.Roots = pool
		}
		if err := os.MkdirAll(ac.CacheDir, 0o700); err != nil {
			return nil, nil, nil, fmt.Errorf("acme cache: %w", err)
		}
		a, err := certs.NewACME(ac)
		if err != nil {
			return nil, nil, nil, err
		}
		return a, nil, func(w web.Config) web.Config {
			w.TLS, w.TLSAddr = a.TLSConfig(), d.HTTPSAddr
			w.PlainWrap = func(h http.Handler) http.Handler { return a.HTTPHandler(h) }
			return w
		}, nil
	}
	return nil, nil, func(w web.Config) web.Config { return w }, nil
}

// reloadCerts reads -tls-cert and -tls-key again (SIGHUP). New handshakes
// get the new certificate; connections already up keep theirs.
func (g *gateway) reloadCerts() {
	if g.certFiles == nil {
		g.log.Info("sighup: no -tls-cert to reload")
		return
	}
	if err := g.certFiles.Reload(); err != nil {
		g.log.Error("certificate reload failed: keeping the previous one", "err", err)
		return
	}
	serial, exp := g.certFiles.Describe()
	g.log.Info("certificate reloaded", "serial", serial, "not_after", exp)
}

// sipTLSListen is the trunk's SIP over TLS listen address and server
// configuration: -sip-tls-addr with the certificate source, or nothing
// without TLS.
func sipTLSListen(cfg Config, src certSource) (string, *tls.Config) {
	if src == nil {
		return "", nil
	}
	return cfg.Deploy.SIPTLSAddr.String(), src.TLSConfig()
}
