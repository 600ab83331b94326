package store

import (
	"context"
	"slices"
)

// Activity is an agent presence (PROTOCOL §10, custom activities). The
// four built-ins (available, unavailable, break, offline) always exist and
// cannot be changed or deleted; a custom one is offered work when
// Available.
type Activity struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Available bool   `json:"available"`
	BuiltIn   bool   `json:"built_in"`
}

// BuiltInActivities are the v1 activities.
var BuiltInActivities = []Activity{
	{ID: "available", Name: "Available", Available: true, BuiltIn: true},
	{ID: "unavailable", Name: "Unavailable", BuiltIn: true},
	{ID: "break", Name: "Break", BuiltIn: true},
	{ID: "offline", Name: "Offline", BuiltIn: true},
}

// MaxActivities bounds the custom activities.
const MaxActivities = 64

// ActivityStore persists custom activities. The SQLite store implements it.
type ActivityStore interface {
	PutActivity(ctx context.Context, a Activity) (Activity, error)
	DeleteActivity(ctx context.Context, id string) error
	// ListActivities returns the built-ins, then the custom ones by id.
	ListActivities(ctx context.Context) ([]Activity, error)
}

// BuiltIn reports whether id is one of the BuiltInActivities.
func BuiltIn(id string) bool {
	return slices.ContainsFunc(BuiltInActivities, func(a Activity) bool { return a.ID == id })
}
