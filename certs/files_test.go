package certs_test

import (
	"os"
	"path/filepath"
	"testing"

	"switchboard/certs"
	"switchboard/certs/certstest"
)

func TestFilesReload(t *testing.T) {
	ca := certstest.NewCA(t)
	dir := t.TempDir()
	crt, key := filepath.Join(dir, "live.crt"), filepath.Join(dir, "live.key")
	certstest.Install(t, ca.Issue(dir, 7), crt, key)
	f, err := certs.LoadFiles(crt, key)
	if err != nil {
		t.Fatalf("LoadFiles: %v", err)
	}
	serial := func() int64 {
		c, _ := f.GetCertificate(nil)
		return c.Leaf.SerialNumber.Int64()
	}
	if s := serial(); s != 7 {
		t.Fatalf("serial = %d, want 7", s)
	}
	certstest.Install(t, ca.Issue(dir, 8), crt, key)
	if err := f.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if s := serial(); s != 8 {
		t.Errorf("after Reload serial = %d, want 8", s)
	}
	// A broken file is refused and the previous certificate stays.
	if err := os.WriteFile(crt, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := f.Reload(); err == nil {
		t.Error("Reload of a broken file succeeded")
	}
	if s := serial(); s != 8 {
		t.Errorf("after a failed Reload serial = %d, want 8 kept", s)
	}
	if _, err := certs.LoadFiles(crt, key); err == nil {
		t.Error("LoadFiles of a broken file succeeded")
	}
	if _, err := certs.LoadFiles("", key); err == nil {
		t.Error("LoadFiles without a certificate succeeded")
	}
}

func TestACMEConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  certs.ACMEConfig
		ok   bool
	}{
		{"ok", certs.ACMEConfig{Domains: []string{"agents.example.com"}, CacheDir: "/tmp/x"}, true},
		{"no domain", certs.ACMEConfig{CacheDir: "/tmp/x"}, false},
		{"wildcard", certs.ACMEConfig{Domains: []string{"*.example.com"}, CacheDir: "/tmp/x"}, false},
		{"no cache", certs.ACMEConfig{Domains: []string{"a.example.com"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate(%+v) = %v, want ok=%v", tt.cfg, err, tt.ok)
			}
		})
	}
}
