package console

import (
	"context"
	"time"

	"switchboard/signaling/ws"
	"switchboard/store"
	"switchboard/wallboard"
)

// Wallboard (PROTOCOL §12): stats {since?} -> wallboard.Stats, from the
// call records since `since` (default 00:00 UTC today) and the live floor.

// maxStatsRecords bounds the records one stats request reads (a very busy
// day); beyond it the oldest calls since `since` are the ones counted.
const maxStatsRecords = 200 * store.MaxRecordLimit

type statsParams struct {
	Since string `json:"since"`
}

func (s *session) registerStats() {
	s.Register("stats", ws.Typed(s.stats))
}

func (s *session) stats(ctx context.Context, p statsParams) (wallboard.Stats, error) {
	now := time.Now().UTC()
	since := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if p.Since != "" {
		t, err := time.Parse(time.RFC3339Nano, p.Since)
		if err != nil {
			return wallboard.Stats{}, ws.InvalidParams("since: must be an RFC 3339 time, e.g. 2026-01-02T15:04:05.000Z")
		}
		since = t
	}
	qs, err := s.c.cfg.Store.ListQueues(ctx)
	if err != nil {
		return wallboard.Stats{}, s.fail("stats", err)
	}
	in := wallboard.Input{Since: since, Queues: make([]wallboard.Queue, 0, len(qs))}
	for _, q := range qs {
		in.Queues = append(in.Queues, wallboard.Queue{ID: q.ID, Name: q.Name, SLSeconds: q.SLSeconds})
	}
	if in.Records, err = s.recordsSince(ctx, since); err != nil {
		return wallboard.Stats{}, s.fail("stats", err)
	}
	if f := s.c.cfg.Floor; f != nil {
		in.Live = f.State()
	}
	return wallboard.Compute(in), nil
}

// recordsSince pages through the call records started at or after since,
// oldest first, at most maxStatsRecords. Pages overlap at their boundary
// instant; Compute counts a call once.
func (s *session) recordsSince(ctx context.Context, since time.Time) ([]store.CallRecord, error) {
	var out []store.CallRecord
	for len(out) < maxStatsRecords {
		page, err := s.c.cfg.Store.ListRecords(ctx, store.RecordFilter{Since: since, Limit: store.MaxRecordLimit, Channel: "voice"})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < store.MaxRecordLimit {
			break
		}
		last := page[len(page)-1].StartedAt
		if !last.After(since) { // a whole page at one instant: no way forward
			s.log.Warn("stats: more than one page of records at one instant", "at", last)
			break
		}
		since = last
	}
	return out, nil
}
