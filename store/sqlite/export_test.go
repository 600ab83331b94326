package sqlite

import (
	"context"

	"switchboard/events"
)

// MigrationForTest returns schema step i, for migration tests.
func MigrationForTest(i int) string { return migrations[i] }

// MigrationCountForTest returns the schema version Open brings a database to.
func MigrationCountForTest() int { return len(migrations) }

// EventsForTest returns every persisted event in seq order, read directly
// (ListEvents pages by time, and a burst puts thousands in one millisecond).
func EventsForTest(s *SQLite) ([]events.Event, error) {
	return queryEvents(context.Background(), s.db, `SELECT body FROM events ORDER BY id`)
}
