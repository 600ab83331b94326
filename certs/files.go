package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Files is a certificate and key loaded from PEM files, reloadable.
type Files struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
}

// LoadFiles reads the PEM certificate chain certFile and its key keyFile.
// The error says which file is wrong and why.
func LoadFiles(certFile, keyFile string) (*Files, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("certs: both a certificate and a key file are required")
	}
	f := &Files{certFile: certFile, keyFile: keyFile}
	if err := f.Reload(); err != nil {
		return nil, err
	}
	return f, nil
}

// Reload reads both files again and, if they hold a valid pair, makes them
// the certificate every new handshake gets. On error the previous
// certificate stays in use.
func (f *Files) Reload() error {
	c, err := tls.LoadX509KeyPair(f.certFile, f.keyFile)
	if err != nil {
		return fmt.Errorf("certs: load %s and %s: %w", f.certFile, f.keyFile, err)
	}
	if c.Leaf == nil {
		if c.Leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return fmt.Errorf("certs: parse %s: %w", f.certFile, err)
		}
	}
	f.cur.Store(&c)
	return nil
}

// Leaf returns the current certificate (for logs: serial, expiry).
func (f *Files) Leaf() *x509.Certificate { return f.cur.Load().Leaf }

// GetCertificate returns the current certificate (tls.Config.GetCertificate).
func (f *Files) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return f.cur.Load(), nil
}

// TLSConfig returns a server configuration presenting the current
// certificate, TLS 1.2 or later.
func (f *Files) TLSConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: f.GetCertificate}
}

// Describe returns the serial number and expiry of the current
// certificate, for a log line.
func (f *Files) Describe() (serial string, notAfter time.Time) {
	l := f.Leaf()
	return l.SerialNumber.Text(16), l.NotAfter
}
