package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"switchboard/store"
	"time"
)

const migrationVoicemail = `CREATE TABLE voicemail (
		id      TEXT PRIMARY KEY,
		agent   TEXT NOT NULL,
		queue   TEXT NOT NULL,
		from_number TEXT NOT NULL,
		at      TEXT NOT NULL,
		seconds REAL NOT NULL,
		heard   INTEGER NOT NULL,
		file    TEXT NOT NULL
	);
	CREATE INDEX voicemail_at ON voicemail(at);`

const voicemailCols = `id, agent, queue, from_number, at, seconds, heard, file`

// AddVoicemail stores a new message's metadata.
func (s *SQLite) AddVoicemail(ctx context.Context, v store.Voicemail) error {
	if e := store.CheckID("id", v.ID); e != nil {
		return e
	}
	if (v.Agent == "") == (v.Queue == "") {
		return store.Invalid("agent", "a message is in an agent's box or a queue's, exactly one")
	}
	if v.File == "" || v.Seconds < 0 || len(v.From) > 256 {
		return store.Invalid("file", "file required, seconds >= 0, from at most 256 bytes")
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO voicemail (`+voicemailCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			v.ID, v.Agent, v.Queue, v.From, formatDBTime(v.At), v.Seconds, v.Heard, v.File)
		if err != nil {
			return fmt.Errorf("add voicemail %s: %w", v.ID, err)
		}
		return nil
	})
}

func scanVoicemail(sc interface{ Scan(...any) error }) (store.Voicemail, error) {
	var v store.Voicemail
	var at string
	if err := sc.Scan(&v.ID, &v.Agent, &v.Queue, &v.From, &at, &v.Seconds, &v.Heard, &v.File); err != nil {
		return store.Voicemail{}, err
	}
	t, err := parseDBTime(at)
	if err != nil {
		return store.Voicemail{}, err
	}
	v.At = t
	return v, nil
}

// GetVoicemail returns message id, or an error wrapping ErrNotFound.
func (s *SQLite) GetVoicemail(ctx context.Context, id string) (store.Voicemail, error) {
	v, err := scanVoicemail(s.db.QueryRowContext(ctx, `SELECT `+voicemailCols+` FROM voicemail WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Voicemail{}, fmt.Errorf("voicemail %s: %w", id, store.ErrNotFound)
	}
	return v, err
}

// ListVoicemail returns the messages of the filter, newest first.
func (s *SQLite) ListVoicemail(ctx context.Context, f store.VoicemailFilter) ([]store.Voicemail, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+voicemailCols+` FROM voicemail
		WHERE (? = '' OR agent = ?) AND (? = '' OR queue = ?) ORDER BY at DESC, id DESC LIMIT ?`,
		f.Agent, f.Agent, f.Queue, f.Queue, store.MaxVoicemailList)
	if err != nil {
		return nil, fmt.Errorf("list voicemail: %w", err)
	}
	defer rows.Close()
	out := []store.Voicemail{}
	for rows.Next() {
		v, err := scanVoicemail(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// MarkVoicemail sets a message heard or not.
func (s *SQLite) MarkVoicemail(ctx context.Context, id string, heard bool) (store.Voicemail, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE voicemail SET heard = ? WHERE id = ?`, heard, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 { // both drivers (SQLite, pgx) support RowsAffected
			return fmt.Errorf("voicemail %s: %w", id, store.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return store.Voicemail{}, err
	}
	return s.GetVoicemail(ctx, id)
}

// DeleteVoicemail deletes a message and returns what it was.
func (s *SQLite) DeleteVoicemail(ctx context.Context, id string) (store.Voicemail, error) {
	v, err := s.GetVoicemail(ctx, id)
	if err != nil {
		return store.Voicemail{}, err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		return deleteRow(ctx, tx, `DELETE FROM voicemail WHERE id = ?`, "voicemail", id)
	})
	return v, err
}

// ExpireVoicemail deletes and returns the messages older than before.
func (s *SQLite) ExpireVoicemail(ctx context.Context, before time.Time) ([]store.Voicemail, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+voicemailCols+` FROM voicemail WHERE at < ? ORDER BY at LIMIT ?`,
		formatDBTime(before), store.MaxVoicemailList)
	if err != nil {
		return nil, fmt.Errorf("expire voicemail: %w", err)
	}
	var old []store.Voicemail
	for rows.Next() {
		v, err := scanVoicemail(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		old = append(old, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		for _, v := range old {
			if _, err := tx.ExecContext(ctx, `DELETE FROM voicemail WHERE id = ?`, v.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return old, nil
}

var _ store.VoicemailStore = (*SQLite)(nil)
