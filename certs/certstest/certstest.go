// Package certstest makes a throw-away certificate authority and server
// certificates for tests of TLS listeners (HTTPS, WSS, SIP over TLS). Keys
// are ECDSA P-256; files are written under the test's temp directory.
package certstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// CA is a test certificate authority.
type CA struct {
	t    testing.TB
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	// Pool trusts only this CA.
	Pool *x509.CertPool
	// PEM is the CA certificate, PEM-encoded.
	PEM []byte
}

// NewCA makes a CA valid for a day.
func NewCA(t testing.TB) *CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "switchboard test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &CA{t: t, cert: cert, key: key, Pool: x509.NewCertPool(), PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	ca.Pool.AddCert(cert)
	return ca
}

// Leaf is a server certificate issued by a CA, written to disk.
type Leaf struct {
	Serial   *big.Int
	CertFile string // PEM chain: leaf then CA
	KeyFile  string // PEM PKCS#8 key
	TLS      tls.Certificate
}

// Issue makes a server certificate for 127.0.0.1, ::1, localhost and the
// extra DNS names, with the given serial number, and writes it into dir
// as <serial>.crt and <serial>.key.
func (ca *CA) Issue(dir string, serial int64, names ...string) *Leaf {
	t := ca.t
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: "switchboard test server"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     append([]string{"localhost"}, names...),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	chain := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), ca.PEM...)
	kpem := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
	l := &Leaf{Serial: tmpl.SerialNumber}
	base := filepath.Join(dir, tmpl.SerialNumber.String())
	l.CertFile, l.KeyFile = base+".crt", base+".key"
	if err := os.WriteFile(l.CertFile, chain, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(l.KeyFile, kpem, 0o600); err != nil {
		t.Fatal(err)
	}
	if l.TLS, err = tls.X509KeyPair(chain, kpem); err != nil {
		t.Fatal(err)
	}
	return l
}

// ClientConfig returns a client configuration trusting only the CA.
func (ca *CA) ClientConfig() *tls.Config {
	return &tls.Config{RootCAs: ca.Pool, MinVersion: tls.VersionTLS12}
}

// Install copies leaf's files over certFile and keyFile (what an operator
// does before SIGHUP), atomically per file.
func Install(t testing.TB, leaf *Leaf, certFile, keyFile string) {
	t.Helper()
	for _, p := range [][2]string{{leaf.CertFile, certFile}, {leaf.KeyFile, keyFile}} {
		b, err := os.ReadFile(p[0])
		if err != nil {
			t.Fatal(err)
		}
		tmp := p[1] + ".tmp"
		if err := os.WriteFile(tmp, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, p[1]); err != nil {
			t.Fatal(err)
		}
	}
}

// SPKI returns base64(SHA-256(SubjectPublicKeyInfo)) of the leaf: what
// Chromium's --ignore-certificate-errors-spki-list takes to trust it.
func (l *Leaf) SPKI() string {
	c, err := x509.ParseCertificate(l.TLS.Certificate[0])
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}
