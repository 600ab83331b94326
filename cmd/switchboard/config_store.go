package main

import (
	"context"
	"flag"
	"log/slog"
	"net/url"

	"switchboard/store/postgres"
	"switchboard/store/sqlite"
)

// storeFlags declares -store on fs; the returned function checks it
// (after fs.Parse) into c, reporting errors through bad.
func storeFlags(fs *flag.FlagSet) func(c *Config, bad func(flag, val, why string)) {
	dsn := fs.String("store", "", "where configuration, records and events live: empty = the embedded SQLite in -data; postgres://user:pass@host:5432/db (PostgreSQL, shared by every node of a cluster; files such as voicemail audio stay in -data)")
	return func(c *Config, bad func(flag, val, why string)) {
		if *dsn != "" && !postgres.IsDSN(*dsn) {
			bad("store", redactDSN(*dsn), "want empty (SQLite in -data) or a postgres:// URL")
		} else if *dsn != "" {
			if _, err := url.Parse(*dsn); err != nil {
				bad("store", redactDSN(*dsn), "not a URL")
			}
		}
		c.Store = *dsn
	}
}

// redactDSN hides a password in a DSN for error messages.
func redactDSN(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}

// openStore opens the store -store names.
func openStore(ctx context.Context, cfg Config, log *slog.Logger) (*sqlite.SQLite, error) {
	if cfg.Store != "" {
		return postgres.Open(ctx, cfg.Store, log)
	}
	return sqlite.Open(ctx, cfg.DataDir, log)
}
