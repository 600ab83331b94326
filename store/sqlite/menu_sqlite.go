package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"switchboard/store"
)

// migrationMenus keeps each IVR menu (PROTOCOL §10) as one JSON document.
const migrationMenus = `CREATE TABLE menus (
		id  TEXT PRIMARY KEY,
		doc TEXT NOT NULL
	);`

// PutMenu creates or replaces menu m.ID after NormalizeMenu; the queues,
// workflows and other menus its targets name must exist (a menu may name
// itself).
func (s *SQLite) PutMenu(ctx context.Context, m store.Menu) (store.Menu, error) {
	if e := store.NormalizeMenu(&m); e != nil {
		return store.Menu{}, e
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		fields, targets := m.SortedDigits(), m.Targets() // the options' targets by digit, then the fallback
		for i, t := range targets {
			if err := targetExists(ctx, tx, t, m.ID); err != nil {
				if ve, ok := errors.AsType[*store.ValidationError](err); ok { // name the field (the console shows it there)
					ve.Field = "fallback"
					if i < len(fields) {
						ve.Field = "options." + fields[i] + ".target"
					}
				}
				return err
			}
		}
		return putRoutingDoc(ctx, tx, "menus", "id", m.ID, m)
	})
	if err != nil {
		return store.Menu{}, err
	}
	return m, nil
}

// targetExists checks that the queue, workflow or menu target t names
// exists (self: a menu that may name itself).
func targetExists(ctx context.Context, tx *sql.Tx, t, self string) error {
	var err error
	if q, ok := strings.CutPrefix(t, "queue:"); ok {
		if _, err = getQueue(ctx, tx, q); errors.Is(err, store.ErrNotFound) {
			return store.Invalid("target", "unknown queue %s", q)
		}
	} else if wf, ok := strings.CutPrefix(t, "workflow:"); ok {
		if _, err = getWorkflow(ctx, tx, wf); errors.Is(err, store.ErrNotFound) {
			return store.Invalid("target", "unknown workflow %s", wf)
		}
	} else if id, ok := strings.CutPrefix(t, "ivr:menu:"); ok && id != self {
		if _, err = getMenu(ctx, tx, id); errors.Is(err, store.ErrNotFound) {
			return store.Invalid("target", "unknown menu %s", id)
		}
	}
	return err
}

// GetMenu returns menu id, or an error wrapping ErrNotFound.
func (s *SQLite) GetMenu(ctx context.Context, id string) (store.Menu, error) {
	return getMenu(ctx, s.db, id)
}

func getMenu(ctx context.Context, q querier, id string) (store.Menu, error) {
	m, err := getDoc[store.Menu](ctx, q, "menus", "menu", id)
	m.ID = id
	return m, err
}

// DeleteMenu deletes menu id; refused while a route or another menu
// targets it.
func (s *SQLite) DeleteMenu(ctx context.Context, id string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n string
		switch err := tx.QueryRowContext(ctx, `SELECT number FROM routes WHERE target = ? LIMIT 1`, "ivr:menu:"+id).Scan(&n); {
		case err == nil:
			return &store.ValidationError{Field: "id", Reason: fmt.Sprintf("menu %s is used by route %s", id, n), Err: store.ErrInUse}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		users, err := menusUsing(ctx, tx, "ivr:menu:"+id, id)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return &store.ValidationError{Field: "id", Reason: fmt.Sprintf("menu %s is used by %s", id, strings.Join(users, ", ")), Err: store.ErrInUse}
		}
		return deleteRow(ctx, tx, `DELETE FROM menus WHERE id = ?`, "menu", id)
	})
}

// ListMenus returns every menu, by id.
func (s *SQLite) ListMenus(ctx context.Context) ([]store.Menu, error) {
	out := []store.Menu{}
	err := listDocs(ctx, s.db, "menus", "id", "menu", func(id string, m store.Menu) error {
		m.ID = id
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b store.Menu) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// menusUsing names the menus ("menu <id>", other than self) with a target
// equal to target.
func menusUsing(ctx context.Context, q querier, target, self string) ([]string, error) {
	var out []string
	err := listDocs(ctx, q, "menus", "id", "menu", func(id string, m store.Menu) error {
		if id == self {
			return nil
		}
		for _, t := range m.Targets() {
			if t == target {
				out = append(out, "menu "+id)
				break
			}
		}
		return nil
	})
	return out, err
}

var _ store.MenuStore = (*SQLite)(nil)
