package store_test

import (
	"testing"

	"switchboard/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t, ".", deptest.Merge(deptest.StoreLeaf, map[string]string{
		"github.com/prometheus/...": "prometheus lives only in metrics",
		"modernc.org/sqlite/...":    "the SQLite implementation is store/sqlite; store holds types and interfaces",
		"database/sql":              "store holds types and interfaces; SQL is store/sqlite's",
	}))
}
