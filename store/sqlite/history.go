package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"switchboard/events"
	"switchboard/store"
	"time"
)

// AppendEvent persists one event.
func (s *SQLite) AppendEvent(ctx context.Context, e events.Event) error {
	if e.Type == "" {
		return store.Invalid("type", "required")
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("append event %s: %w", e.Type, err)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO events (type, at, agent, queue, body) VALUES (?, ?, ?, ?, ?)`,
			e.Type, formatDBTime(e.At), e.Agent, e.Queue, string(body))
		return err
	})
}

// AppendEvents persists events, in order, in one transaction (one fsync
// for the whole batch), appendChunk rows per INSERT (one round trip each on
// a server engine). An event without Type is skipped (and reported in the
// error) without failing the others.
func (s *SQLite) AppendEvents(ctx context.Context, evs []events.Event) error {
	var bad error
	err := s.tx(ctx, func(tx *sql.Tx) error {
		args := make([]any, 0, 6*min(len(evs), appendChunk))
		flush := func() error {
			if len(args) == 0 {
				return nil
			}
			q := `INSERT INTO events (type, at, agent, queue, node, body) VALUES (?, ?, ?, ?, ?, ?)` +
				strings.Repeat(`, (?, ?, ?, ?, ?, ?)`, len(args)/6-1)
			_, err := tx.ExecContext(ctx, q, args...)
			args = args[:0]
			return err
		}
		for _, e := range evs {
			if e.Type == "" {
				bad = store.Invalid("type", "required (event seq %d)", e.Seq)
				continue
			}
			if e.At.IsZero() {
				e.At = time.Now()
			}
			body, err := json.Marshal(e)
			if err != nil {
				return fmt.Errorf("append event %s: %w", e.Type, err)
			}
			args = append(args, e.Type, formatDBTime(e.At), e.Agent, e.Queue, e.Node, string(body))
			if len(args) == 6*appendChunk {
				if err := flush(); err != nil {
					return fmt.Errorf("append events: %w", err)
				}
			}
		}
		if err := flush(); err != nil {
			return fmt.Errorf("append events: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return bad
}

// appendChunk is how many events one INSERT of AppendEvents carries (6
// parameters each: far below SQLite's and PostgreSQL's parameter limits).
const appendChunk = 128

// TrimEvents deletes the oldest persisted events so that at most keep
// remain (the journal's retention bound); it returns how many it deleted.
func (s *SQLite) TrimEvents(ctx context.Context, keep int) (int64, error) {
	if keep < 1 {
		return 0, store.Invalid("keep", "must be at least 1")
	}
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE id <= (SELECT MAX(id) FROM events) - ?`, keep)
		if err != nil {
			return fmt.Errorf("trim events: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// LastEventSeq returns the Seq of the last event node persisted (Event.Node;
// "" is a single gateway), 0 if none. A node new to the journal continues
// after the last event written without a node, so a single gateway that
// joins a floor as a node keeps its seq increasing.
func (s *SQLite) LastEventSeq(ctx context.Context, node string) (uint64, error) {
	seq, err := s.lastEventSeq(ctx, node)
	if err == nil && seq == 0 && node != "" {
		seq, err = s.lastEventSeq(ctx, "")
	}
	return seq, err
}

func (s *SQLite) lastEventSeq(ctx context.Context, node string) (uint64, error) {
	var seq sql.NullInt64
	err := s.db.QueryRowContext(ctx, s.lastSeqQuery(), node).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("last event seq: %w", err)
	}
	return uint64(max(seq.Int64, 0)), nil
}

// ListEvents returns persisted events in the order they were appended,
// filtered by time (At), agent and queue.
func (s *SQLite) ListEvents(ctx context.Context, f store.RecordFilter) ([]events.Event, error) {
	where, args := filterWhere(f, "at")
	return queryEvents(ctx, s.db, `SELECT body FROM events`+where+` ORDER BY id LIMIT ?`, append(args, filterLimit(f))...)
}

// queryEvents decodes the events (the body column) that query selects.
func queryEvents(ctx context.Context, q querier, query string, args ...any) ([]events.Event, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	out := []events.Event{}
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var e events.Event
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			return nil, fmt.Errorf("list events: decode: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// AppendRecord persists one call record.
func (s *SQLite) AppendRecord(ctx context.Context, r store.CallRecord) error {
	if r.Call == "" {
		return store.Invalid("call", "required")
	}
	quality, err := recordQuality(r.Quality)
	if err != nil {
		return fmt.Errorf("append record %s: %w", r.Call, err)
	}
	recs, err := recordRecordings(r)
	if err != nil {
		return fmt.Errorf("append record %s: %w", r.Call, err)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO call_records (call, agent, queue, kind, direction, from_number, to_number,
			started_at, ended_at, wait_seconds, ring_seconds, talk_seconds, hold_seconds, outcome, park_seconds, quality, channel, recordings)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Call, r.Agent, r.Queue, r.Kind, r.Direction, r.From, r.To, formatDBTime(r.StartedAt), formatDBTime(r.EndedAt),
			r.WaitSeconds, r.RingSeconds, r.TalkSeconds, r.HoldSeconds, r.Outcome, r.ParkSeconds, quality, recordChannel(r.Channel), recs)
		if err != nil {
			return fmt.Errorf("append record %s: %w", r.Call, err)
		}
		return nil
	})
}

// ListRecords returns call records whose StartedAt is in [Since, Until),
// of Agent and Queue when set, oldest first, at most Limit.
func (s *SQLite) ListRecords(ctx context.Context, f store.RecordFilter) ([]store.CallRecord, error) {
	where, args := filterWhere(f, "started_at")
	if f.Channel != "" {
		where, args = andWhere(where, "channel = ?"), append(args, f.Channel)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT call, agent, queue, kind, direction, from_number, to_number, started_at, ended_at,
		wait_seconds, ring_seconds, talk_seconds, hold_seconds, outcome, park_seconds, quality, channel, recordings FROM call_records`+where+
		` ORDER BY started_at, id LIMIT ?`, append(args, filterLimit(f))...)
	if err != nil {
		return nil, fmt.Errorf("list records: %w", err)
	}
	defer rows.Close()
	out := []store.CallRecord{}
	for rows.Next() {
		var r store.CallRecord
		var started, ended, quality, recs string
		if err := rows.Scan(&r.Call, &r.Agent, &r.Queue, &r.Kind, &r.Direction, &r.From, &r.To, &started, &ended,
			&r.WaitSeconds, &r.RingSeconds, &r.TalkSeconds, &r.HoldSeconds, &r.Outcome, &r.ParkSeconds, &quality, &r.Channel, &recs); err != nil {
			return nil, err
		}
		if err := readRecordings(recs, &r); err != nil {
			return nil, fmt.Errorf("list records: call %s: %w", r.Call, err)
		}
		if quality != "" {
			r.Quality = json.RawMessage(quality)
		}
		if r.StartedAt, err = parseDBTime(started); err != nil {
			return nil, err
		}
		if r.EndedAt, err = parseDBTime(ended); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// filterWhere is f as an SQL WHERE clause on timeCol, agent and queue.
func filterWhere(f store.RecordFilter, timeCol string) (string, []any) {
	var conds []string
	var args []any
	if !f.Since.IsZero() {
		conds, args = append(conds, timeCol+" >= ?"), append(args, formatDBTime(f.Since))
	}
	if !f.Until.IsZero() {
		conds, args = append(conds, timeCol+" < ?"), append(args, formatDBTime(f.Until))
	}
	if f.Agent != "" {
		conds, args = append(conds, "agent = ?"), append(args, f.Agent)
	}
	if f.Queue != "" {
		conds, args = append(conds, "queue = ?"), append(args, f.Queue)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// recordChannel is a record's channel as stored: calls are "voice".
func recordChannel(ch string) string {
	if ch == "" {
		return "voice"
	}
	return ch
}

// andWhere adds cond to a WHERE clause built by filterWhere.
func andWhere(where, cond string) string {
	if where == "" {
		return " WHERE " + cond
	}
	return where + " AND " + cond
}

// filterLimit is f's row limit, defaulted and bounded.
func filterLimit(f store.RecordFilter) int {
	switch {
	case f.Limit <= 0:
		return store.DefaultRecordLimit
	case f.Limit > store.MaxRecordLimit:
		return store.MaxRecordLimit
	}
	return f.Limit
}

var _ store.Store = (*SQLite)(nil)
