package certs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// LetsEncrypt is the default ACME directory (Let's Encrypt production).
const LetsEncrypt = autocert.DefaultACMEDirectory

// ACMEConfig configures an ACME certificate source.
type ACMEConfig struct {
	Domains      []string       // host names to get certificates for; required
	DirectoryURL string         // ACME directory; "" means LetsEncrypt
	Roots        *x509.CertPool // roots trusted for the directory's HTTPS; nil means the system's
	Email        string         // account contact; "" means none
	CacheDir     string         // where account key and certificates are kept; required
	Logger       *slog.Logger   // nil means slog.Default()
}

// Validate checks the configuration.
func (c ACMEConfig) Validate() error {
	if len(c.Domains) == 0 {
		return errors.New("certs: acme needs at least one domain")
	}
	for _, d := range c.Domains {
		if d == "" || strings.ContainsAny(d, " /:*") {
			return fmt.Errorf("certs: acme domain %q is not a host name", d)
		}
	}
	if c.CacheDir == "" {
		return errors.New("certs: acme needs a cache directory")
	}
	return nil
}

// ACME gets certificates from an ACME CA on first use (the first handshake
// for a domain) and renews them before they expire.
type ACME struct {
	m      *autocert.Manager
	domain string // the first domain: used for handshakes without SNI
	log    *slog.Logger
	serial sync.Map // domain -> serial (hex) last served, to log each new certificate once
}

// NewACME validates cfg and returns the source. Nothing is requested from
// the CA until a handshake needs a certificate.
func NewACME(cfg ACMEConfig) (*ACME, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	if cfg.Roots != nil {
		hc.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: cfg.Roots, MinVersion: tls.VersionTLS12}, Proxy: http.ProxyFromEnvironment}
	}
	dir := cfg.DirectoryURL
	if dir == "" {
		dir = LetsEncrypt
	}
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(cfg.CacheDir),
		HostPolicy: hostPolicy(cfg.Domains),
		Email:      cfg.Email,
		Client:     &acme.Client{DirectoryURL: dir, HTTPClient: hc, UserAgent: "switchboard"},
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &ACME{m: m, domain: cfg.Domains[0], log: log}, nil
}

// GetCertificate returns the certificate for the handshake's server name,
// obtaining it first if needed; it also answers TLS-ALPN-01 challenges. A
// handshake without SNI (many SIP peers, an IP literal) gets the first
// domain's certificate.
func (a *ACME) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if hello.ServerName == "" {
		h := *hello
		h.ServerName = a.domain
		hello = &h
	}
	c, err := a.m.GetCertificate(hello)
	if err == nil && c.Leaf != nil && !slices.Contains(hello.SupportedProtos, acme.ALPNProto) {
		serial := c.Leaf.SerialNumber.Text(16)
		if prev, _ := a.serial.Swap(hello.ServerName, serial); prev != serial {
			a.log.Info("acme certificate in use", "domain", hello.ServerName, "serial", serial, "not_after", c.Leaf.NotAfter)
		}
	}
	return c, err
}

// TLSConfig returns a server configuration using GetCertificate and
// offering the acme-tls/1 protocol (RFC 8737) next to h2 and http/1.1.
func (a *ACME) TLSConfig() *tls.Config {
	c := a.m.TLSConfig()
	c.GetCertificate = a.GetCertificate
	c.MinVersion = tls.VersionTLS12
	if !slices.Contains(c.NextProtos, acme.ALPNProto) {
		c.NextProtos = append(c.NextProtos, acme.ALPNProto)
	}
	return c
}

// HTTPHandler answers HTTP-01 challenges (RFC 8555 §8.3) and passes every
// other request to fallback.
func (a *ACME) HTTPHandler(fallback http.Handler) http.Handler {
	return a.m.HTTPHandler(fallback)
}

// hostPolicy allows exactly domains. An HTTP-01 request's Host may carry a
// port (a CA that validates on another port than 80, a port mapping): it
// is compared without it.
func hostPolicy(domains []string) autocert.HostPolicy {
	allowed := autocert.HostWhitelist(domains...)
	return func(ctx context.Context, host string) error {
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		return allowed(ctx, host)
	}
}
