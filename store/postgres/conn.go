package postgres

import (
	"context"
	"database/sql/driver"
	"fmt"

	"github.com/jackc/pgx/v5/stdlib"
)

// connector wraps pgx's database/sql connector so that every statement
// gets PostgreSQL placeholders and integer booleans (see the package doc).
type connector struct{ inner driver.Connector }

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	pc, ok := dc.(*stdlib.Conn)
	if !ok {
		_ = dc.Close() // never used: the type error is the one returned
		return nil, fmt.Errorf("postgres: unexpected driver connection %T", dc)
	}
	return &conn{pc}, nil
}

func (c connector) Driver() driver.Driver { return c.inner.Driver() }

// conn is a pgx connection; the methods not overridden here (Close,
// BeginTx, Ping, ResetSession, CheckNamedValue, …) are pgx's.
type conn struct{ *stdlib.Conn }

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.Conn.PrepareContext(ctx, Rebind(query))
	if err != nil {
		return nil, err
	}
	return stmt{st.(*stdlib.Stmt)}, nil
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, Rebind(query), intBools(args))
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, Rebind(query), intBools(args))
}

type stmt struct{ *stdlib.Stmt }

func (s stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.Stmt.ExecContext(ctx, intBools(args))
}

func (s stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.Stmt.QueryContext(ctx, intBools(args))
}

// intBools sends bools as 0/1 (the schema's booleans are integers, as in
// SQLite); reading them back into a bool is database/sql's conversion.
func intBools(args []driver.NamedValue) []driver.NamedValue {
	for i, a := range args {
		if b, ok := a.Value.(bool); ok {
			args[i].Value = int64(0)
			if b {
				args[i].Value = int64(1)
			}
		}
	}
	return args
}
