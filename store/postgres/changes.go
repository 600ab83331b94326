package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Channel is the LISTEN/NOTIFY channel configuration changes travel on.
const Channel = "switchboard_config"

// Change is one configuration change made on one node, announced to the
// others (PROTOCOL §13: a change on any node applies on all within 1 s).
// It names the object; the receiver reads it from the shared store.
type Change struct {
	From string `json:"from"` // the announcing process's instance id, so it ignores its own
	Kind string `json:"kind"` // agent, queue, route, workflow, activity, trunk
	ID   string `json:"id"`
	Op   string `json:"op"` // put, delete
}

// Changes announces and receives Changes over LISTEN/NOTIFY, on two
// connections of its own (outside the store's pool).
type Changes struct {
	dsn string
	log *slog.Logger

	mu   sync.Mutex
	conn *pgx.Conn // NOTIFY; reconnected after an error
}

// NewChanges makes the announcer/listener of the database dsn; log (nil
// means slog.Default()) gets the listener's lost connections.
func NewChanges(dsn string, log *slog.Logger) (*Changes, error) {
	if _, err := pgx.ParseConfig(dsn); err != nil {
		return nil, fmt.Errorf("postgres changes: dsn: %w", err)
	}
	if log == nil {
		log = slog.Default()
	}
	return &Changes{dsn: dsn, log: log}, nil
}

// Notify announces ch to every listening node.
func (c *Changes) Notify(ctx context.Context, ch Change) error {
	b, err := json.Marshal(ch)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil || c.conn.IsClosed() {
		if c.conn, err = pgx.Connect(ctx, c.dsn); err != nil {
			c.conn = nil
			return fmt.Errorf("postgres changes: connect: %w", err)
		}
	}
	if _, err := c.conn.Exec(ctx, `SELECT pg_notify($1, $2)`, Channel, string(b)); err != nil {
		_ = c.conn.Close(ctx) // a broken connection, dropped: the Exec error is the one returned
		c.conn = nil
		return fmt.Errorf("postgres changes: notify: %w", err)
	}
	return nil
}

// Listen calls apply for every Change announced until ctx ends, then
// returns ctx's error. A lost connection is re-made after a second
// (changes announced meanwhile are missed: onGap is called once it is
// back, so the caller can reload everything). ready, if not nil, is
// called once the first LISTEN is in place.
func (c *Changes) Listen(ctx context.Context, apply func(Change), onGap func(), ready func()) error {
	first := true
	for {
		err := c.listenOnce(ctx, apply, func() {
			if first {
				first = false
				if ready != nil {
					ready()
				}
			} else if onGap != nil {
				onGap()
			}
		})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.log.Warn("config change listener lost its connection: retrying in 1 s", "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func (c *Changes) listenOnce(ctx context.Context, apply func(Change), listening func()) error {
	conn, err := pgx.Connect(ctx, c.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+Channel); err != nil {
		return err
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var ch Change
		if json.Unmarshal([]byte(n.Payload), &ch) == nil && ch.Kind != "" {
			apply(ch)
		}
	}
}

// Close closes the announcing connection.
func (c *Changes) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		err := c.conn.Close(context.Background())
		c.conn = nil
		return err
	}
	return nil
}
