package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrNotOurDatabase is wrapped by Open's error for a database file that is
// empty, not SQLite, or SQLite with another program's tables (PROTOCOL
// §14: refused at start with a clear message, never silently replaced by
// an empty configuration).
var ErrNotOurDatabase = errors.New("not a Switchboard database")

// sqliteHeader starts every SQLite 3 database file.
var sqliteHeader = []byte("SQLite format 3\x00")

// checkDBFile accepts a missing file (a new database) or an SQLite file
// that is empty of tables or has ours; it refuses an empty file, another
// format, or another program's tables. It writes nothing.
func checkDBFile(ctx context.Context, path string) error {
	if err := checkHeader(path); err != nil {
		return err
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	db, err := sql.Open("sqlite", "file:"+path) // read only by use: no pragma, no write
	if err != nil {
		return err
	}
	defer db.Close()
	var ours, tables int
	err = db.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE name = 'schema_version'), count(*) FROM sqlite_master WHERE type = 'table'`).Scan(&ours, &tables)
	switch {
	case err != nil:
		return fmt.Errorf("%w: %s: %v", ErrNotOurDatabase, path, err)
	case ours == 0 && tables > 0:
		return fmt.Errorf("%w: %s holds %d tables of another program and no schema_version; check -data", ErrNotOurDatabase, path, tables)
	}
	return nil
}

func checkHeader(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, len(sqliteHeader))
	n, err := io.ReadFull(f, head)
	switch {
	case n == 0 && (err == io.EOF || err == nil):
		return fmt.Errorf("%w: %s is empty (0 bytes); restore it from a backup, or delete it to start with an empty configuration", ErrNotOurDatabase, path)
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF):
		return err
	case !bytes.Equal(head[:n], sqliteHeader):
		return fmt.Errorf("%w: %s is not an SQLite database; check -data", ErrNotOurDatabase, path)
	}
	return nil
}
