package postgres_test

import (
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"switchboard/events"
	"switchboard/internal/pgtest"
	"switchboard/store/postgres"
	"switchboard/store/storetest"
)

// backend runs the store contract on a throwaway PostgreSQL: a database
// is a DSN, a fresh one per test.
func backend(srv *pgtest.Server) storetest.Backend {
	return storetest.Backend{
		Fresh: srv.NewDB,
		Open: func(tb testing.TB, dsn string) storetest.Store {
			tb.Helper()
			s, err := postgres.Open(tb.Context(), dsn, slog.New(slog.NewTextHandler(tb.Output(), nil)))
			if err != nil {
				tb.Fatalf("Open(%s): %v", dsn, err)
			}
			tb.Cleanup(func() { _ = s.Close() })
			return s
		},
		Events: func(tb testing.TB, _ storetest.Store, dsn string) []events.Event {
			tb.Helper()
			cfg, err := pgx.ParseConfig(dsn)
			if err != nil {
				tb.Fatal(err)
			}
			db := stdlib.OpenDB(*cfg)
			defer db.Close()
			rows, err := db.QueryContext(tb.Context(), `SELECT body FROM events ORDER BY id`)
			if err != nil {
				tb.Fatal(err)
			}
			defer rows.Close()
			var out []events.Event
			for rows.Next() {
				var body string
				var e events.Event
				if err := rows.Scan(&body); err != nil {
					tb.Fatal(err)
				}
				if err := json.Unmarshal([]byte(body), &e); err != nil {
					tb.Fatal(err)
				}
				out = append(out, e)
			}
			if err := rows.Err(); err != nil {
				tb.Fatal(err)
			}
			return out
		},
	}
}

// TestContract runs every store contract test (store/storetest, the same
// ones as store/sqlite's) against PostgreSQL.
func TestContract(t *testing.T) { storetest.Run(t, backend(pgtest.Start(t))) }

func BenchmarkStore(b *testing.B) { storetest.Bench(b, backend(pgtest.Start(b))) }
