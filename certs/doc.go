// Package certs supplies the TLS server certificates of the gateway's
// HTTPS/WSS listener and its SIP over TLS listener (PROTOCOL §8). Two
// sources exist:
//
//   - Files: a PEM certificate chain and key read from disk. Reload reads
//     them again (cmd calls it on SIGHUP) and swaps the certificate
//     atomically: handshakes from then on present the new one, while
//     connections already up (websockets, SIP over TLS, calls) are not
//     touched.
//   - ACME: certificates obtained from an ACME CA (RFC 8555) through
//     golang.org/x/crypto/acme/autocert, answering TLS-ALPN-01 on the
//     HTTPS listener and HTTP-01 on the plain one, and cached in a
//     directory so a restart reuses them.
//
// Both hand out a *tls.Config whose GetCertificate reads the current
// certificate; the package opens no listener and reads no flag.
//
// Concurrency: every method is safe for concurrent use.
package certs
