package sqlite

import (
	"encoding/json"

	"switchboard/events"
)

// MigrationForTest returns schema step i, for migration tests.
func MigrationForTest(i int) string { return migrations[i] }

// MigrationCountForTest returns the schema version Open brings a database to.
func MigrationCountForTest() int { return len(migrations) }

// EventsForTest returns every persisted event in seq order, read directly
// (ListEvents pages by time, and a burst puts thousands in one millisecond).
func EventsForTest(s *SQLite) ([]events.Event, error) {
	rows, err := s.db.Query(`SELECT body FROM events ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []events.Event
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var e events.Event
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
