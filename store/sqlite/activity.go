package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"switchboard/store"
)

const migrationActivities = `CREATE TABLE activities (
		id  TEXT PRIMARY KEY,
		doc TEXT NOT NULL
	);`

// PutActivity creates or replaces a custom activity.
func (s *SQLite) PutActivity(ctx context.Context, a store.Activity) (store.Activity, error) {
	if e := store.CheckID("id", a.ID); e != nil {
		return store.Activity{}, e
	}
	if store.BuiltIn(a.ID) {
		return store.Activity{}, store.Invalid("id", "%s is a built-in activity and cannot be changed", a.ID)
	}
	if a.Name == "" {
		a.Name = a.ID
	}
	if e := store.CheckName(a.Name); e != nil {
		return store.Activity{}, e
	}
	a.BuiltIn = false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM activities WHERE id != ?`, a.ID).Scan(&n); err != nil {
			return err
		}
		if n >= store.MaxActivities {
			return store.Invalid("id", "at most %d custom activities", store.MaxActivities)
		}
		return putRoutingDoc(ctx, tx, "activities", "id", a.ID, a)
	})
	if err != nil {
		return store.Activity{}, err
	}
	return a, nil
}

// DeleteActivity deletes a custom activity; built-ins are refused.
func (s *SQLite) DeleteActivity(ctx context.Context, id string) error {
	if store.BuiltIn(id) {
		return store.Invalid("id", "%s is a built-in activity and cannot be deleted", id)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		return deleteRow(ctx, tx, `DELETE FROM activities WHERE id = ?`, "activity", id)
	})
}

// ListActivities returns the built-ins, then the custom activities by id.
func (s *SQLite) ListActivities(ctx context.Context) ([]store.Activity, error) {
	var custom []store.Activity
	err := listDocs(ctx, s.db, "activities", "id", "activity", func(id string, a store.Activity) error {
		a.ID = id
		custom = append(custom, a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(custom, func(a, b store.Activity) int { return strings.Compare(a.ID, b.ID) })
	return append(slices.Clone(store.BuiltInActivities), custom...), nil
}

var _ store.ActivityStore = (*SQLite)(nil)
