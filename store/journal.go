package store

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"switchboard/events"
)

// JournalStore is what the journal writes to (SQLite implements it).
type JournalStore interface {
	AppendEvents(ctx context.Context, evs []events.Event) error
	TrimEvents(ctx context.Context, keep int) (int64, error)
}

// JournalConfig configures RunJournal. Zero fields mean the defaults.
type JournalConfig struct {
	Store JournalStore         // required
	Sub   *events.Subscription // required; should be lossless (Hub.SubscribeLossless) so no event is dropped
	Batch int                  // most events per transaction; 0 means 512
	// Keep is the retention bound: at most this many events stay
	// persisted, the oldest are deleted; 0 means DefaultJournalKeep.
	Keep   int
	Logger *slog.Logger // nil means slog.Default()
}

// DefaultJournalKeep is the default retention bound of the event journal.
const DefaultJournalKeep = 1_000_000

// journalDrainTimeout bounds the writing of the events still buffered when
// the journal is stopped.
const journalDrainTimeout = 5 * time.Second

// RunJournal persists every event of cfg.Sub, in order, until the
// subscription ends or ctx is done; then it writes what is still buffered
// and returns cfg.Sub.Err() (nil when closed by its owner) or ctx.Err().
// Events that arrive together are written in one transaction (a batched
// writer: one fsync per batch, not per event), so a lossless subscription's
// back-pressure on the publisher lasts only while a batch commits. A batch
// that fails is retried twice, then logged and skipped. Whoever owns the
// hub runs it on a goroutine it waits for.
func RunJournal(ctx context.Context, cfg JournalConfig) error {
	if cfg.Store == nil || cfg.Sub == nil {
		return errors.New("journal: Store and Sub are required")
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 512
	}
	if cfg.Keep <= 0 {
		cfg.Keep = DefaultJournalKeep
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	j := &journal{cfg: cfg, batch: make([]events.Event, 0, cfg.Batch)}
	wctx := context.WithoutCancel(ctx) // a stop must not abort a batch being written
	for {
		select {
		case e, ok := <-cfg.Sub.C:
			if !ok {
				return cfg.Sub.Err()
			}
			j.batch = append(j.batch, e)
			open := j.fill()
			j.write(wctx)
			if !open {
				return cfg.Sub.Err()
			}
		case <-ctx.Done():
			cfg.Sub.Close() // releases a publisher waiting on the buffer
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), journalDrainTimeout)
			defer cancel()
			for e := range cfg.Sub.C { // what was buffered before the close
				j.batch = append(j.batch, e)
				if len(j.batch) == cfg.Batch {
					j.write(dctx)
				}
			}
			j.write(dctx)
			return ctx.Err()
		}
	}
}

type journal struct {
	cfg       JournalConfig
	batch     []events.Event
	sinceTrim int
}

// fill adds whatever is already waiting, up to a full batch, without
// blocking; it reports false when the subscription has ended.
func (j *journal) fill() bool {
	for len(j.batch) < j.cfg.Batch {
		select {
		case e, ok := <-j.cfg.Sub.C:
			if !ok {
				return false
			}
			j.batch = append(j.batch, e)
		default:
			return true
		}
	}
	return true
}

// write commits the batch (retrying twice), then trims to the retention
// bound once enough has been written since the last trim.
func (j *journal) write(ctx context.Context) {
	if len(j.batch) == 0 {
		return
	}
	var err error
	for try := range 3 {
		if err = j.cfg.Store.AppendEvents(ctx, j.batch); err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(try+1) * 50 * time.Millisecond)
	}
	if err != nil {
		j.cfg.Logger.Error("events not persisted", "count", len(j.batch), "first_seq", j.batch[0].Seq, "err", err)
	}
	j.sinceTrim += len(j.batch)
	j.batch = j.batch[:0]
	if j.sinceTrim >= max(j.cfg.Batch, min(1024, j.cfg.Keep)) {
		j.sinceTrim = 0
		if n, err := j.cfg.Store.TrimEvents(ctx, j.cfg.Keep); err != nil {
			j.cfg.Logger.Warn("events not trimmed", "err", err)
		} else if n > 0 {
			j.cfg.Logger.Debug("events trimmed", "deleted", n, "keep", j.cfg.Keep)
		}
	}
}

// Journal is RunJournal with the defaults.
func Journal(ctx context.Context, s JournalStore, sub *events.Subscription, logger *slog.Logger) error {
	return RunJournal(ctx, JournalConfig{Store: s, Sub: sub, Logger: logger})
}
