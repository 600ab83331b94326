package store

import (
	"context"
	"log/slog"

	"switchboard/events"
)

// Journal persists every event of sub, in order, until sub ends or ctx is
// done; it then returns sub.Err() (nil when closed by its owner) or
// ctx.Err(). Whoever owns the hub runs it on a goroutine it waits for. A
// failed write is logged and the event skipped (the live stream is not
// stopped for history).
func Journal(ctx context.Context, s Store, sub *events.Subscription, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.Default()
	}
	for {
		select {
		case e, ok := <-sub.C:
			if !ok {
				return sub.Err()
			}
			if err := s.AppendEvent(ctx, e); err != nil {
				logger.Error("event not persisted", "type", e.Type, "seq", e.Seq, "err", err)
			}
		case <-ctx.Done():
			sub.Close()
			return ctx.Err()
		}
	}
}
