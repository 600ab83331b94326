package store

// MigrationForTest returns schema step i, for migration tests.
func MigrationForTest(i int) string { return migrations[i] }
